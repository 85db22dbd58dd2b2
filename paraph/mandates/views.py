"""The mandate pages (start or renew, the code, the password, done, revoke)
and signing contracts with the password, one or several at once. Views
parse the input, call one service and render."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from paraph.accounts.feedback import code_refusal, resend_feedback
from paraph.accounts.models import CodePurpose, Person
from paraph.accounts.selectors import code_resend_wait
from paraph.accounts.services import (
    CodeOutcome,
    CodeRateLimited,
    CodeResend,
    RateRule,
)
from paraph.adminbox.views import contract_or_404
from paraph.contracts.companies import acting_company_number
from paraph.contracts.models import SIGNABLE, Contract
from paraph.contracts.selectors import contract_list_for_person
from paraph.contracts.services import ContractError, ContractNotSignable
from paraph.core.context import Context
from paraph.core.http import next_url_safe, rate_limited_response
from paraph.mandates import services
from paraph.mandates.forms import EID, ActivateForm, BatchForm, ChannelForm, SignPasswordForm
from paraph.mandates.models import Mandate, MandateStatus
from paraph.mandates.passwords import signing_password_problems
from paraph.mandates.selectors import (
    mandate_current,
    mandate_get_for_person,
    mandate_in_progress,
    mandate_pdf_open,
    mandate_status_for,
    password_signing_state,
)
from paraph.signing.appearance import BRUSSELS
from paraph.signing.exceptions import KeyUnavailable, SigningError

# The strength meter asks as the person types (after a pause): enough for
# that, too few to use the page as an oracle for anything.
PASSWORD_CHECKS = RateRule("mandates.password_check", 120, 10 * 60)
FLOW_KEY = "paraph_mandate_flow"
BATCH_KEY = "paraph_mandate_batch"


# --- helpers ----------------------------------------------------------------------


def _tasks_url() -> str:
    return reverse("adminbox:tasks")


def _flow(request: HttpRequest) -> dict[str, str]:
    data = request.session.get(FLOW_KEY)
    return data if isinstance(data, dict) else {}


def _flow_mandate(request: HttpRequest, *statuses: str) -> Mandate | None:
    """The person's mandate this flow is about, if it is in ``statuses``."""
    mandate = mandate_in_progress(request.user)  # type: ignore[arg-type]
    if mandate is None or mandate.status not in statuses:
        return None
    return mandate


def _steps(current: int) -> list[dict[str, Any]]:
    labels = [_("Choose"), _("Sign the mandate"), _("Your password"), _("Done")]
    return [
        {"label": label, "done": n < current, "current": n == current}
        for n, label in enumerate(labels, start=1)
    ]


def _resend_message(request: HttpRequest, result: CodeResend) -> HttpResponse | None:
    return resend_feedback(
        request, result, ended=_("No new code can be sent for this mandate. Start again.")
    )


# --- start, renew ---------------------------------------------------------------------


def _start_page(request: HttpRequest, *, renew: bool) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    candidate = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    next_url = next_url_safe(request, candidate)
    summary = mandate_status_for(person)
    channels = services.mandate_code_channels(person)
    if person.national_number:
        channels.append(EID)
    form = ChannelForm(request.POST or None, channels=channels)
    if request.method == "POST" and form.is_valid():
        try:
            if renew and summary.current is not None:
                mandate = services.mandate_renew(
                    person=person, context=Context.from_request(request)
                )
            else:
                mandate = services.mandate_start(
                    person=person, context=Context.from_request(request)
                )
            channel = form.cleaned_data["channel"]
            token = (
                ""
                if channel == EID
                else services.mandate_code_send(
                    mandate=mandate, channel=channel, context=Context.from_request(request)
                )
            )
        except services.MandateError as exc:
            form.add_error(None, str(exc))
        except CodeRateLimited as exc:
            return rate_limited_response(request, exc.retry_after)
        else:
            request.session[FLOW_KEY] = {
                "mandate": str(mandate.public_id),
                "binding": token,
                "channel": channel,
                "next": next_url,
            }
            return redirect("mandates:eid" if channel == EID else "mandates:code")
    return render(
        request,
        "mandates/start.html",
        {
            "form": form,
            "renew": renew,
            "summary": summary,
            "channels": channels,
            "next": next_url,
            "steps": _steps(1),
            "preferences_url": reverse("adminbox:preferences"),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """What a mandate is, and how to sign it (ES-7)."""
    return _start_page(request, renew=False)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def renew(request: HttpRequest) -> HttpResponse:
    """ES-11: a new mandate, at any time, for a new password or channel."""
    return _start_page(request, renew=True)


@login_required
@never_cache
@require_http_methods(["GET"])
def document(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    """The mandate's PDF (sealed once signed); the person's own only."""
    try:
        mandate = mandate_get_for_person(person=request.user, public_id=public_id)  # type: ignore[arg-type]
    except Mandate.DoesNotExist as exc:
        raise Http404 from exc
    # Checked against its SHA-256 (DocumentUnavailable: an error page), streamed.
    response = FileResponse(
        mandate_pdf_open(mandate),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{mandate.reference}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the code ----------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    """Type the code that signs the mandate."""
    from paraph.accounts.forms import CodeForm

    flow = _flow(request)
    mandate = _flow_mandate(request, MandateStatus.PENDING)
    if mandate is None or flow.get("mandate") != str(mandate.public_id):
        return redirect("mandates:start")
    binding = flow.get("binding", "")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = services.mandate_sign_with_code(
                mandate=mandate,
                binding_token=binding,
                value=form.cleaned_data["code"],
                context=Context.from_request(request),
            )
        except services.MandateError as exc:
            form.add_error(None, str(exc))
        else:
            if check.outcome == CodeOutcome.OK:
                messages.success(request, _("Your mandate is signed."))
                return redirect("mandates:password")
            ended = code_refusal(form, check)
            if ended:
                messages.error(request, ended)
    channel = flow.get("channel", "sms")
    return render(
        request,
        "mandates/code.html",
        {
            "form": form,
            "mandate": mandate,
            "channel": channel,
            "sent_to": _sent_to(binding),
            "resend_wait": code_resend_wait(
                binding_token=binding, purpose=CodePurpose.MANDATE_SIGN
            ),
            "ttl_minutes": max(1, settings.CODE_TTL_SECONDS // 60),
            "steps": _steps(2),
        },
    )


def _sent_to(binding: str) -> str:
    from paraph.accounts.selectors import code_get_by_binding

    attempt = code_get_by_binding(binding_token=binding, purpose=CodePurpose.MANDATE_SIGN)
    return attempt.destination_masked if attempt else ""


@login_required
@never_cache
@require_POST
def code_resend(request: HttpRequest) -> HttpResponse:
    flow = _flow(request)
    mandate = _flow_mandate(request, MandateStatus.PENDING)
    if mandate is None or flow.get("mandate") != str(mandate.public_id):
        return redirect("mandates:start")
    result = services.mandate_code_resend(
        mandate=mandate,
        binding_token=flow.get("binding", ""),
        channel=flow.get("channel", ""),
        context=Context.from_request(request),
    )
    return _resend_message(request, result) or redirect("mandates:code")


# --- the password ---------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    """ES-9, ES-10: how to be told of new contracts, and the signing
    password, typed twice to confirm the mandate."""
    person: Person = request.user  # type: ignore[assignment]
    mandate = _flow_mandate(request, MandateStatus.SIGNED)
    if mandate is None:
        return redirect("mandates:start")
    form = ActivateForm(
        request.POST or None, initial={"notification_channel": person.notification_channel}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.mandate_activate(
                mandate=mandate,
                password=form.cleaned_data["password"],
                password_confirm=form.cleaned_data["password_confirm"],
                notification_channel=form.cleaned_data["notification_channel"],
                context=Context.from_request(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except services.MandateError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("mandates:done")
    return render(
        request,
        "mandates/password.html",
        {
            "form": form,
            "mandate": mandate,
            "phone_verified": bool(person.phone and person.phone_verified_at),
            "steps": _steps(3),
        },
    )


@login_required
@never_cache
@require_POST
def password_check(request: HttpRequest) -> JsonResponse:
    """The server's verdict on a password being typed, for the strength
    meter: ``acceptable`` and the ``problems`` the form would show. POST
    (a password never goes in a URL), rate-limited per person."""
    limit = PASSWORD_CHECKS.hit(str(request.user.pk))
    if not limit.allowed:
        response = JsonResponse({"error": "rate_limited"}, status=429)
        response["Retry-After"] = str(limit.retry_after)
        return response
    problems = signing_password_problems(
        request.POST.get("password", "")[:200], person=request.user
    )
    return JsonResponse({"acceptable": not problems, "problems": problems})


@login_required
@never_cache
@require_http_methods(["GET"])
def done(request: HttpRequest) -> HttpResponse:
    mandate = mandate_current(request.user)  # type: ignore[arg-type]
    if mandate is None:
        return redirect("mandates:start")
    next_url = next_url_safe(request, _flow(request).get("next"))
    request.session.pop(FLOW_KEY, None)
    return render(
        request,
        "mandates/done.html",
        {
            "mandate": mandate,
            "next": next_url,
            "tasks_url": _tasks_url(),
            "steps": _steps(4),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest) -> HttpResponse:
    """The person ends their mandate (password signing stops at once)."""
    person: Person = request.user  # type: ignore[assignment]
    mandate = mandate_current(person)
    if mandate is None:
        messages.info(request, _("You have no active mandate."))
        return redirect("mandates:start")
    if request.method == "POST":
        try:
            services.mandate_revoke(
                mandate=mandate, person=person, context=Context.from_request(request)
            )
        except services.MandateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _(
                    "Your mandate is revoked: nobody can sign with your password any more. "
                    "You can still sign with your eID card, or sign a new mandate."
                )
                if person.national_number
                else _(
                    "Your mandate is revoked: nobody can sign with your password any more. "
                    "Sign a new mandate to sign with a password again."
                ),
            )
        return redirect(reverse("adminbox:preferences"))
    return render(request, "mandates/revoke.html", {"mandate": mandate})


# --- signing with the password -----------------------------------------------------------


def _start_with_next(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('mandates:start')}?{urlencode({'next': request.path})}")


def _wrong_password(person: Person) -> str:
    left = password_signing_state(person).tries_left
    return ngettext(
        "This password is not correct. You can try %(count)d more time before password "
        "signing is locked for a while.",
        "This password is not correct. You can try %(count)d more times before password "
        "signing is locked for a while.",
        left,
    ) % {"count": left}


def _locked_message(locked_until: datetime, person: Person) -> str:
    local = timezone.localtime(locked_until, BRUSSELS)
    if person.national_number:
        message = _(
            "Password signing is locked until %(date)s, %(time)s (Brussels time) after too "
            "many wrong passwords. You can still sign with your eID card, or call the "
            "contact centre to unlock it."
        )
    else:
        message = _(
            "Password signing is locked until %(date)s, %(time)s (Brussels time) after too "
            "many wrong passwords. Call the contact centre to unlock it."
        )
    return message % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "H:i"),
    }


def _unavailable_message() -> str:
    return _("Paraph could not sign just now: nothing was signed. Try again in a minute.")


def _password_signature(
    request: HttpRequest, person: Person, contract: Contract, form: SignPasswordForm
) -> HttpResponseBase | tuple[str, Any]:
    """The contract signed with the password typed: the next page, or the
    problem to show (and when the key is locked until, if it is)."""
    try:
        services.contract_sign_with_password(
            contract=contract,
            person=person,
            password=form.cleaned_data["password"],
            context=Context.from_request(request),
        )
    except services.MandateError:
        return _start_with_next(request)
    except KeyUnavailable as exc:
        if exc.code == "wrong_password":
            form.add_error("password", _wrong_password(person))
            return "", None
        if exc.code == "locked":
            return str(exc), exc.locked_until
        return _start_with_next(request)  # the key ended with its mandate: a new one is needed
    except ContractNotSignable as exc:
        return str(exc), None
    except ContractError:
        return (
            _(
                "This contract cannot be signed as it is. Call the contact centre: "
                "nothing was signed."
            ),
            None,
        )
    except SigningError:
        return _unavailable_message(), None
    return redirect("mandates:signed", public_id=contract.public_id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_password(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    """ES-10: the contract, the password, done."""
    person: Person = request.user  # type: ignore[assignment]
    contract = contract_or_404(request, public_id)
    mandate = mandate_current(person)
    if mandate is None:
        messages.info(
            request,
            _("To sign with a password, first sign a mandate. It takes two minutes."),
        )
        return _start_with_next(request)
    form = SignPasswordForm(request.POST or None)
    problem = ""
    locked = password_signing_state(person).locked_until
    if request.method == "POST" and form.is_valid():
        outcome = _password_signature(request, person, contract, form)
        if isinstance(outcome, HttpResponseBase):
            return outcome
        problem, locked = outcome[0], outcome[1] or locked
    if not problem and contract.status not in SIGNABLE:
        from paraph.contracts.services import contract_check_signable

        try:
            contract_check_signable(contract=contract, person=person)
        except ContractNotSignable as exc:
            problem = str(exc)
    if locked and not problem:
        problem = _locked_message(locked, person)
    return render(
        request,
        "mandates/sign_password.html",
        {
            "form": form,
            "contract": contract,
            "mandate": mandate,
            "problem": problem,
            "locked": bool(locked),
            "can_sign": contract.status in SIGNABLE and not locked,
            "contract_url": reverse("adminbox:contract", kwargs={"public_id": contract.public_id}),
            "eid_url": reverse("adminbox:sign_eid", kwargs={"public_id": contract.public_id}),
            "download_url": reverse("adminbox:download", kwargs={"public_id": contract.public_id})
            if contract.status == "signed"
            else None,
            "tasks_url": _tasks_url(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def signed(request: HttpRequest, public_id: Any) -> HttpResponse:
    contract = contract_or_404(request, public_id)
    if contract.status != "signed":
        return redirect("adminbox:contract", public_id=contract.public_id)
    return render(
        request,
        "mandates/signed.html",
        {
            "contract": contract,
            "download_url": reverse("adminbox:download", kwargs={"public_id": contract.public_id}),
            "tasks_url": _tasks_url(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_batch(request: HttpRequest) -> HttpResponse:
    """Several waiting contracts, one password, a signature each."""
    person: Person = request.user  # type: ignore[assignment]
    if mandate_current(person) is None:
        messages.info(
            request,
            _("To sign with a password, first sign a mandate. It takes two minutes."),
        )
        return redirect(f"{reverse('mandates:start')}?{urlencode({'next': _tasks_url()})}")
    waiting = contract_list_for_person(
        person=person, waiting_only=True, company_number=acting_company_number(request)
    )
    data = request.POST if request.method == "POST" else None
    initial = {"contracts": request.GET.getlist("contracts")} if request.method == "GET" else None
    form = BatchForm(data, initial=initial, waiting=waiting)
    problem = ""
    if request.method == "POST" and form.is_valid():
        chosen = sorted(form.cleaned_data["contracts"], key=lambda c: (c.deadline, c.pk))
        try:
            outcomes = services.contracts_sign_with_password(
                contracts=chosen,
                person=person,
                password=form.cleaned_data["password"],
                context=Context.from_request(request),
            )
        except KeyUnavailable as exc:
            if exc.code == "wrong_password":
                form.add_error("password", _wrong_password(person))
            elif exc.code == "locked":
                problem = str(exc)
            else:
                return redirect(f"{reverse('mandates:start')}?{urlencode({'next': request.path})}")
        except services.MandateError as exc:
            problem = str(exc)
        else:
            request.session[BATCH_KEY] = [
                {
                    "id": str(o.contract.public_id),
                    "title": o.contract.title,
                    "sender": o.contract.sender.name,
                    "signed": o.signed,
                    "message": o.message,
                }
                for o in outcomes
            ]
            return redirect("mandates:batch_done")
    return render(
        request,
        "mandates/sign_batch.html",
        {
            "form": form,
            "problem": problem,
            "has_waiting": waiting.exists(),
            "tasks_url": _tasks_url(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def batch_done(request: HttpRequest) -> HttpResponse:
    results = request.session.get(BATCH_KEY)
    if not isinstance(results, list):
        return redirect(_tasks_url())
    for result in results:
        result["download_url"] = (
            reverse("adminbox:download", kwargs={"public_id": result["id"]})
            if result["signed"]
            else None
        )
    return render(
        request,
        "mandates/batch_done.html",
        {
            "results": results,
            "signed_count": sum(1 for r in results if r["signed"]),
            "tasks_url": _tasks_url(),
        },
    )
