"""Registration's steps after the provider: matching the customer file,
the phone and the e-mail address proven by codes, and the code page every
step (and the adminbox's activation) shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from paraph.accounts.models import CodePurpose
from paraph.accounts.selectors import code_resend_wait
from paraph.accounts.services import (
    CodeOutcome,
    CodeResend,
)
from paraph.accounts.views import safe_next
from paraph.core.belgium import phone_mask
from paraph.core.context import Context
from paraph.identity import services
from paraph.identity.forms import (
    AddressForm,
    CodeForm,
    EmailForm,
    ForeignAddressForm,
    PhoneForm,
    ReferenceForm,
)
from paraph.identity.models import IdentityMethod, RegistrationAttempt, RegistrationState
from paraph.identity.selectors import (
    registration_attempt_current,
)
from paraph.identity.sessions import attempt_unbind, identity_session_open
from paraph.identity.views.common import (
    EMAIL_CODE_KEY,
    PHONE_CODE_KEY,
    REGISTRATION_NEXT_KEY,
    code_ended,
    code_resent_message,
    code_sent,
    error_page,
)

# --- Registration steps ---------------------------------------------------------

STEP_NAMES = (
    "identity",
    "customer",
    "phone",
    "email",
)


def registration_steps(current: int) -> list[dict[str, Any]]:
    labels = (
        _("Prove who you are"),
        _("Find you in our files"),
        _("Your mobile phone"),
        _("Your e-mail address"),
    )
    return [
        {"label": label, "done": index < current, "current": index == current}
        for index, label in enumerate(labels)
    ]


_STATE_PAGES = {
    RegistrationState.MATCHING: "identity:register_match",
    RegistrationState.PHONE: "identity:register_phone",
    RegistrationState.EMAIL: "identity:register_email",
    RegistrationState.BLOCKED: "identity:register_blocked",
}


def _attempt_at(
    request: HttpRequest, *states: str
) -> tuple[RegistrationAttempt | None, HttpResponse | None]:
    """The registration in progress when it is at one of ``states``, or the
    page where it really is (or the start, when there is none)."""
    attempt = registration_attempt_current(request)
    if attempt is None:
        messages.info(request, _("Your registration has ended or expired. Please start again."))
        return None, redirect("identity:register")
    if attempt.state not in states:
        page = _STATE_PAGES.get(RegistrationState(attempt.state), "identity:register")
        return None, redirect(page)
    return attempt, None


def _claims_address(attempt: RegistrationAttempt) -> dict[str, str]:
    address = attempt.claims.get("address") or {}
    return {
        key: address.get(key, "")
        for key in ("street", "house_number", "box", "postal_code", "municipality")
    }


def _claims_country(attempt: RegistrationAttempt) -> str:
    """The country a person abroad most likely lives in: their address's
    when the provider gave one outside Belgium, else their document's."""
    address = attempt.claims.get("address") or {}
    if address.get("country") and address["country"] != "BE":
        return str(address["country"])
    document = attempt.claims.get("document") or {}
    country = str(document.get("country") or "").upper()
    return country if country != "BE" else ""


def _lives_abroad(request: HttpRequest, attempt: RegistrationAttempt, action: str) -> bool:
    """Which address form the page shows (issue 14): the one last used, or
    the one asked for (``?residence=be|abroad``); by default the foreign
    one after IDnow (RG-10: for people who do not live in Belgium) and the
    Belgian one after itsme or the eID card."""
    if action in ("address", "foreign_address"):
        return action == "foreign_address"
    asked = request.GET.get("residence")
    if asked in ("be", "abroad"):
        return asked == "abroad"
    return attempt.method == IdentityMethod.IDNOW


@never_cache
@require_http_methods(["GET", "POST"])
def register_match(request: HttpRequest) -> HttpResponse:
    """RG-2: confirm the home address or type a client reference."""
    attempt, elsewhere = _attempt_at(request, RegistrationState.MATCHING)
    if attempt is None:
        assert elsewhere is not None
        return elsewhere
    action = request.POST.get("action", "")
    address_form = AddressForm(
        request.POST if action == "address" else None,
        initial=_claims_address(attempt),
        prefix="address",
    )
    foreign_form = ForeignAddressForm(
        request.POST if action == "foreign_address" else None,
        initial={"country": _claims_country(attempt)},
        prefix="foreign",
    )
    reference_form = ReferenceForm(request.POST if action == "reference" else None, prefix="ref")
    result: services.MatchResult | None = None
    if action == "address" and address_form.is_valid():
        result = services.registration_match_address(
            attempt=attempt, context=Context.from_request(request), **address_form.cleaned_data
        )
    elif action == "foreign_address" and foreign_form.is_valid():
        data = foreign_form.cleaned_data
        result = services.registration_match_foreign_address(
            attempt=attempt,
            country=data["country"],
            lines=f"{data['line1']}\n{data['line2']}",
            postal_code=data["postal_code"],
            town=data["town"],
            context=Context.from_request(request),
        )
    elif action == "reference" and reference_form.is_valid():
        result = services.registration_match_reference(
            attempt=attempt,
            reference=reference_form.cleaned_data["reference"],
            context=Context.from_request(request),
        )
    elif action == "new_customer":
        result = services.registration_new_customer(
            attempt=attempt, context=Context.from_request(request)
        )
    if result is not None:
        outcome = result.outcome
        if outcome == services.MatchOutcome.MATCHED:
            if action == "new_customer":
                # Nobody was found: a new customer is told the truth.
                messages.success(
                    request, _("Welcome as a new customer: your registration goes on.")
                )
            else:
                messages.success(request, _("We found you in our customer file."))
            return redirect("identity:register_phone")
        if outcome == services.MatchOutcome.BLOCKED:
            return redirect("identity:register_blocked")
        if outcome == services.MatchOutcome.NOT_ALLOWED:
            return redirect("identity:register_match")
        if outcome == services.MatchOutcome.AMBIGUOUS:
            problem = _(
                "Several customers match this. Type your client reference instead, "
                "or call the contact centre."
            )
        else:
            problem = ngettext(
                "We could not find you with this. Check what you typed: you can try %(count)d more time.",
                "We could not find you with this. Check what you typed: you can try %(count)d more times.",
                result.tries_left,
            ) % {"count": result.tries_left}
        form = {"address": address_form, "foreign_address": foreign_form}.get(
            action, reference_form
        )
        form.add_error(None, problem)
        attempt.refresh_from_db()
    return render(
        request,
        "identity/match.html",
        {
            "attempt": attempt,
            "address_form": address_form,
            "foreign_form": foreign_form,
            "abroad": _lives_abroad(request, attempt, action),
            "reference_form": reference_form,
            "action": action,
            "tries_left": services.MATCH_MAX_TRIES - attempt.match_tries,
            "new_customer_allowed": services.registration_new_customer_allowed(attempt),
            "given_name": attempt.claims.get("given_name", ""),
            "steps": registration_steps(1),
        },
    )


@never_cache
@require_http_methods(["GET"])
def register_blocked(request: HttpRequest) -> HttpResponse:
    """RG-5: after the last failed try, the contact centre."""
    return render(request, "identity/blocked.html", {"steps": registration_steps(1)})


@never_cache
@require_http_methods(["GET"])
def register_already(request: HttpRequest) -> HttpResponse:
    """Someone registered already: log in instead (no second account)."""
    return render(request, "identity/already_registered.html")


@never_cache
@require_POST
def register_cancel(request: HttpRequest) -> HttpResponse:
    attempt = registration_attempt_current(request)
    if attempt is not None:
        services.registration_cancel(attempt=attempt, context=Context.from_request(request))
    attempt_unbind(request)
    for key in (PHONE_CODE_KEY, EMAIL_CODE_KEY):
        request.session.pop(key, None)
    messages.info(request, _("Your registration is cancelled. Nothing was kept."))
    return redirect("web:home")


def _code_binding(request: HttpRequest, key: str, attempt: RegistrationAttempt) -> str:
    data = request.session.get(key)
    if isinstance(data, dict) and data.get("attempt") == str(attempt.pk):
        return str(data.get("binding", ""))
    return ""


def _register_code_resend(
    request: HttpRequest,
    *,
    state: str,
    session_key: str,
    resend: Callable[..., CodeResend],
    code_url: str,
) -> HttpResponse:
    """Send the registration code of step ``state`` again, then back to the
    code page ``code_url``."""
    attempt, elsewhere = _attempt_at(request, state)
    if attempt is None:
        assert elsewhere is not None
        return elsewhere
    binding = _code_binding(request, session_key, attempt)
    result = resend(attempt=attempt, binding_token=binding, context=Context.from_request(request))
    return code_resent_message(request, result) or redirect(code_url)


@never_cache
@require_http_methods(["GET", "POST"])
def register_phone(request: HttpRequest) -> HttpResponse:
    """RG-7: the mobile number for log-in codes, with the separate consent."""
    attempt, elsewhere = _attempt_at(request, RegistrationState.PHONE, RegistrationState.EMAIL)
    if attempt is None:
        assert elsewhere is not None
        return elsewhere
    # The account being completed proposes its own number (issue 14).
    known = attempt.person.phone if attempt.person else ""
    initial = {"phone": attempt.phone or attempt.claims.get("phone") or known or ""}
    form = PhoneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        sent = code_sent(
            request,
            form,
            lambda: services.registration_phone_code_send(
                attempt=attempt,
                phone=form.cleaned_data["phone"],
                consent=form.cleaned_data["consent_other_uses"],
                context=Context.from_request(request),
            ),
            session_key=PHONE_CODE_KEY,
            state={"attempt": str(attempt.pk)},
            code_url="identity:register_phone_code",
        )
        if sent is not None:
            return sent
    return render(request, "identity/phone.html", {"form": form, "steps": registration_steps(2)})


def code_page(
    request: HttpRequest,
    *,
    form: CodeForm,
    title: str,
    lead: str,
    action: str,
    resend: str,
    restart: str,
    binding: str,
    purpose: str,
    steps: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    """The page where a person types a code that proves a phone or an
    address (registration, a new phone or address, the adminbox's
    activation): ``action`` checks it, ``resend`` (optional) sends a new
    one, ``restart`` goes back to change what was typed."""
    return render(
        request,
        "identity/code.html",
        {
            "form": form,
            "title": title,
            "lead": lead,
            "action_url": action,
            "resend_url": resend,
            "restart_url": restart,
            "resend_wait": code_resend_wait(binding_token=binding, purpose=purpose),
            "ttl_minutes": max(1, settings.CODE_TTL_SECONDS // 60),
            "steps": steps,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def register_phone_code(request: HttpRequest) -> HttpResponse:
    attempt, elsewhere = _attempt_at(request, RegistrationState.PHONE)
    if attempt is None:
        assert elsewhere is not None
        return elsewhere
    binding = _code_binding(request, PHONE_CODE_KEY, attempt)
    if not binding or not attempt.phone:
        return redirect("identity:register_phone")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.registration_phone_code_check(
            attempt=attempt,
            binding_token=binding,
            value=form.cleaned_data["code"],
            context=Context.from_request(request),
        )
        if check.outcome == CodeOutcome.OK:
            request.session.pop(PHONE_CODE_KEY, None)
            messages.success(request, _("Your mobile phone number is verified."))
            return redirect("identity:register_email")
        ended = code_ended(
            request, form, check, session_key=PHONE_CODE_KEY, restart="identity:register_phone"
        )
        if ended is not None:
            return ended
    return code_page(
        request,
        form=form,
        title=_("Enter the code we sent by SMS"),
        lead=_("We have sent a code by SMS to %(phone)s.") % {"phone": phone_mask(attempt.phone)},
        action=reverse("identity:register_phone_code"),
        resend=reverse("identity:register_phone_resend"),
        restart=reverse("identity:register_phone"),
        binding=binding,
        purpose=CodePurpose.PHONE_VERIFY,
        steps=registration_steps(2),
    )


@never_cache
@require_POST
def register_phone_resend(request: HttpRequest) -> HttpResponse:
    return _register_code_resend(
        request,
        state=RegistrationState.PHONE,
        session_key=PHONE_CODE_KEY,
        resend=services.registration_phone_code_resend,
        code_url="identity:register_phone_code",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def register_email(request: HttpRequest) -> HttpResponse:
    """RG-3: the person's own e-mail address, verified by a code."""
    attempt, elsewhere = _attempt_at(request, RegistrationState.EMAIL)
    if attempt is None:
        assert elsewhere is not None
        return elsewhere
    known = attempt.person.email if attempt.person else ""
    initial = {"email": attempt.email or attempt.claims.get("email") or known or ""}
    form = EmailForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        sent = code_sent(
            request,
            form,
            lambda: services.registration_email_code_send(
                attempt=attempt,
                email=form.cleaned_data["email"],
                context=Context.from_request(request),
            ),
            session_key=EMAIL_CODE_KEY,
            state={"attempt": str(attempt.pk)},
            code_url="identity:register_email_code",
        )
        if sent is not None:
            return sent
    return render(
        request,
        "identity/email.html",
        {"form": form, "steps": registration_steps(3), "phone_masked": phone_mask(attempt.phone)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def register_email_code(request: HttpRequest) -> HttpResponse:
    attempt, elsewhere = _attempt_at(request, RegistrationState.EMAIL)
    if attempt is None:
        assert elsewhere is not None
        return elsewhere
    binding = _code_binding(request, EMAIL_CODE_KEY, attempt)
    if not binding or not attempt.email:
        return redirect("identity:register_email")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.registration_email_code_check(
            attempt=attempt,
            binding_token=binding,
            value=form.cleaned_data["code"],
            context=Context.from_request(request),
        )
        if check.outcome == CodeOutcome.OK:
            request.session.pop(EMAIL_CODE_KEY, None)
            try:
                person = services.registration_complete(
                    attempt=attempt, context=Context.from_request(request)
                )
            except services.RegistrationConflict as exc:
                return error_page(request, exc.message, status=409)
            identity_session_open(
                request,
                person,
                method=person.registration_method,
                assurance=person.assurance_level,
            )
            attempt_unbind(request)
            messages.success(
                request,
                _("Welcome, %(name)s: you are registered and logged in.")
                % {"name": person.first_name},
            )
            next_url = request.session.pop(REGISTRATION_NEXT_KEY, "")
            return redirect(
                safe_next(request, next_url) if next_url else settings.LOGIN_REDIRECT_URL
            )
        ended = code_ended(
            request, form, check, session_key=EMAIL_CODE_KEY, restart="identity:register_email"
        )
        if ended is not None:
            return ended
    return code_page(
        request,
        form=form,
        title=_("Enter the code we sent by e-mail"),
        lead=_("We have sent a code by e-mail to %(email)s.") % {"email": attempt.email},
        action=reverse("identity:register_email_code"),
        resend=reverse("identity:register_email_resend"),
        restart=reverse("identity:register_email"),
        binding=binding,
        purpose=CodePurpose.EMAIL_VERIFY,
        steps=registration_steps(3),
    )


@never_cache
@require_POST
def register_email_resend(request: HttpRequest) -> HttpResponse:
    return _register_code_resend(
        request,
        state=RegistrationState.EMAIL,
        session_key=EMAIL_CODE_KEY,
        resend=services.registration_email_code_resend,
        code_url="identity:register_email_code",
    )
