"""The mandate's pages (ES-7, ES-8, ES-11): start or renew, the mandate
document, the code, the password and its strength meter, done, revoke."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from paraph.accounts.feedback import code_refusal
from paraph.accounts.models import CodePurpose, Person
from paraph.accounts.selectors import code_resend_wait
from paraph.accounts.services import (
    CodeOutcome,
    CodeRateLimited,
)
from paraph.core.context import Context
from paraph.core.http import next_url_safe, rate_limited_response
from paraph.mandates import services
from paraph.mandates.forms import EID, ActivateForm, ChannelForm
from paraph.mandates.models import Mandate, MandateStatus
from paraph.mandates.passwords import signing_password_problems
from paraph.mandates.selectors import (
    mandate_current,
    mandate_get_for_person,
    mandate_pdf_open,
    mandate_status_for,
)
from paraph.mandates.views.common import (
    FLOW_KEY,
    PASSWORD_CHECKS,
    code_resent_answer,
    flow_mandate,
    flow_state,
    mandate_steps,
    tasks_url,
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
            "steps": mandate_steps(1),
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

    flow = flow_state(request)
    mandate = flow_mandate(request, MandateStatus.PENDING)
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
            "steps": mandate_steps(2),
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
    flow = flow_state(request)
    mandate = flow_mandate(request, MandateStatus.PENDING)
    if mandate is None or flow.get("mandate") != str(mandate.public_id):
        return redirect("mandates:start")
    result = services.mandate_code_resend(
        mandate=mandate,
        binding_token=flow.get("binding", ""),
        channel=flow.get("channel", ""),
        context=Context.from_request(request),
    )
    return code_resent_answer(request, result) or redirect("mandates:code")


# --- the password ---------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    """ES-9, ES-10: how to be told of new contracts, and the signing
    password, typed twice to confirm the mandate."""
    person: Person = request.user  # type: ignore[assignment]
    mandate = flow_mandate(request, MandateStatus.SIGNED)
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
            "steps": mandate_steps(3),
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
    next_url = next_url_safe(request, flow_state(request).get("next"))
    request.session.pop(FLOW_KEY, None)
    return render(
        request,
        "mandates/done.html",
        {
            "mandate": mandate,
            "next": next_url,
            "tasks_url": tasks_url(),
            "steps": mandate_steps(4),
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
