"""Registration (RG-1 to RG-10), log-in and step-up with an identity
provider, and regaining access (LG-3, LG-4, LG-5).

Views parse, call a service, render. A provider is chosen by the method in
the URL through ``get_identity_provider``; no view knows which one it is.
Every provider's callback ends in :func:`complete`, which hands the claims
to the flow that the session says was started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from paraph.accounts.feedback import code_refusal, resend_feedback
from paraph.accounts.models import AssuranceLevel, CodePurpose, Person
from paraph.accounts.selectors import code_resend_wait
from paraph.accounts.services import (
    CodeOutcome,
    CodeRateLimited,
    CodeResend,
)
from paraph.accounts.views import safe_next
from paraph.core.belgium import phone_mask
from paraph.core.context import Context
from paraph.core.http import rate_limited_response
from paraph.core.sandbox import sandbox_only
from paraph.identity import services
from paraph.identity.forms import (
    AddressForm,
    CodeForm,
    EmailForm,
    ForeignAddressForm,
    PhoneForm,
    ReferenceForm,
)
from paraph.identity.methods import method_enabled
from paraph.identity.models import IdentityMethod, RegistrationAttempt, RegistrationState
from paraph.identity.providers import (
    IdentityClaims,
    IdentityError,
    IdentityPending,
    IdentityProvider,
    get_identity_provider,
)
from paraph.identity.providers.itsme import sandbox as itsme_sandbox
from paraph.identity.selectors import (
    identity_session,
    identity_session_is_high,
    registration_attempt_current,
)
from paraph.notifications.addresses import mask_destination

# The flow a provider was started for: {"method", "purpose", "next"}.
FLOW_SESSION_KEY = "paraph_identity_flow"
# Code attempts in progress, each bound to what it verifies.
PHONE_CODE_KEY = "paraph_registration_phone_code"
EMAIL_CODE_KEY = "paraph_registration_email_code"
NEW_PHONE_KEY = "paraph_new_phone"
EMAIL_CHANGE_KEY = "paraph_email_change"
# Where a registration started from a page (a contract to sign with the
# card) returns once the account is complete.
REGISTRATION_NEXT_KEY = "paraph_registration_next"

# What each flow asks the provider for.
PROVIDER_PURPOSE = {
    "register": "register",
    "login": "login",
    "new_phone": "login",
    "step_up": "step_up",
}
# LG-4: only the high-level providers can re-bind a phone.
HIGH_METHODS = (IdentityMethod.ITSME, IdentityMethod.EID)
ITSME_HOWTO_URL = "https://www.itsme-id.com/get-started"


# --- Helpers -------------------------------------------------------------------


def _method_or_404(method: str) -> str:
    if method not in IdentityMethod.values or not method_enabled(method):
        raise Http404
    return method


def _provider(method: str) -> IdentityProvider:
    try:
        return get_identity_provider(method)
    except ImportError as exc:
        raise IdentityError(
            "unavailable", _("This way of proving who you are is not available at the moment.")
        ) from exc


def _error_page(
    request: HttpRequest, message: str, *, status: int = 400, retry_url: str = ""
) -> HttpResponse:
    return render(
        request,
        "identity/error.html",
        {"message": message, "retry_url": retry_url or reverse("identity:register")},
        status=status,
    )


def _provider_start(
    request: HttpRequest, *, method: str, flow: str, next_url: str = ""
) -> HttpResponse:
    """Remember which flow the provider serves, then let it start."""
    request.session[FLOW_SESSION_KEY] = {
        "method": method,
        "purpose": flow,
        "next": next_url,
        "at": int(time.time()),
    }
    try:
        return _provider(method).start(request, purpose=PROVIDER_PURPOSE[flow])
    except IdentityError as exc:
        request.session.pop(FLOW_SESSION_KEY, None)
        return _error_page(request, exc.message)


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _finish(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect, or for a script (the eID page posts JSON) the address."""
    if _wants_json(request):
        return JsonResponse({"redirect": url})
    return redirect(url)


def _fail(request: HttpRequest, message: str, *, retry_url: str = "") -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=400)
    return _error_page(request, message, retry_url=retry_url)


def _resend_message(request: HttpRequest, result: CodeResend) -> HttpResponse | None:
    return resend_feedback(
        request, result, ended=_("No new code can be sent for this attempt. Start this step again.")
    )


# --- Choosing a method (RG-1, RG-6, RG-10) --------------------------------------


@never_cache
@require_http_methods(["GET"])
def register(request: HttpRequest) -> HttpResponse:
    """Choose how to prove who you are. A person logged in to an adminbox
    opened from a contract's e-mail has not proven who she is yet: she may
    register, which completes her account (and lets her sign with the eID
    card); a registered person is sent to her adminbox."""
    completing = request.user.is_authenticated
    if completing and services.person_is_registered(request.user):  # type: ignore[arg-type]
        messages.info(request, _("You are already registered and logged in."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    next_url = request.GET.get("next", "")
    return render(
        request,
        "identity/register.html",
        {
            "itsme_howto_url": ITSME_HOWTO_URL,
            "steps": _steps(0),
            "completing": completing,
            "next": safe_next(request, next_url) if next_url else "",
        },
    )


@never_cache
@require_POST
def register_start(request: HttpRequest, method: str) -> HttpResponse:
    method = _method_or_404(method)
    try:
        services.registration_start(request=request, method=method)
    except services.RegistrationRateLimited as exc:
        return rate_limited_response(request, exc.retry_after)
    next_url = request.POST.get("next", "")
    if next_url:
        request.session[REGISTRATION_NEXT_KEY] = safe_next(request, next_url)
    else:
        request.session.pop(REGISTRATION_NEXT_KEY, None)
    return _provider_start(request, method=method, flow="register")


# --- The callback of every provider -------------------------------------------


def _flow_register(
    request: HttpRequest, claims: IdentityClaims, flow: dict[str, Any]
) -> HttpResponse:
    step = services.registration_claims_received(request=request, claims=claims)
    if step.outcome == services.RegistrationOutcome.REFUSED:
        return _fail(
            request, _("This identity cannot be used to register. Please call the contact centre.")
        )
    return _finish(request, services.registration_next_url(step))


def _login_refused(request: HttpRequest, result: services.IdentityLoginResult) -> HttpResponse:
    outcome = result.outcome
    if outcome == services.IdentityLoginOutcome.NOT_REGISTERED:
        return _fail(
            request,
            _(
                "No account is registered for this identity. Register first: it takes a few minutes."
            ),
            retry_url=reverse("identity:register"),
        )
    if outcome == services.IdentityLoginOutcome.CONTACT_CENTRE:
        return _finish(request, reverse("identity:new_phone_contact_centre"))
    return _fail(
        request,
        _("We cannot log you in with this identity. Please call the contact centre."),
        retry_url=reverse("accounts:login"),
    )


def _flow_login(request: HttpRequest, claims: IdentityClaims, flow: dict[str, Any]) -> HttpResponse:
    result = services.identity_login(request=request, claims=claims, purpose="login")
    if result.outcome != services.IdentityLoginOutcome.OK:
        return _login_refused(request, result)
    return _finish(request, safe_next(request, flow.get("next")))


def _flow_new_phone(
    request: HttpRequest, claims: IdentityClaims, flow: dict[str, Any]
) -> HttpResponse:
    result = services.identity_login(request=request, claims=claims, purpose="new_phone")
    if result.outcome != services.IdentityLoginOutcome.OK or result.person is None:
        return _login_refused(request, result)
    request.session[NEW_PHONE_KEY] = {
        "person": result.person.pk,
        "method": claims.method,
        "at": int(time.time()),
    }
    return _finish(request, reverse("identity:new_phone_number"))


def _flow_step_up(
    request: HttpRequest, claims: IdentityClaims, flow: dict[str, Any]
) -> HttpResponse:
    if not services.identity_step_up(request=request, claims=claims):
        return _fail(
            request,
            _("This identity is not the one of the account you are logged in to."),
            retry_url=reverse("identity:email_change"),
        )
    return _finish(request, safe_next(request, flow.get("next")))


FLOWS: dict[str, Callable[[HttpRequest, IdentityClaims, dict[str, Any]], HttpResponse]] = {
    "register": _flow_register,
    "login": _flow_login,
    "new_phone": _flow_new_phone,
    "step_up": _flow_step_up,
}


@never_cache
@require_http_methods(["GET", "POST"])
def complete(request: HttpRequest, method: str) -> HttpResponse:
    """Where every provider's callback ends (``identity:complete``): the
    provider checks what came back and returns the claims; the flow that
    was started goes on. A JSON request is answered in JSON
    (``{"redirect": url}`` or ``{"error": message}``)."""
    method = _method_or_404(method)
    flow = request.session.get(FLOW_SESSION_KEY)
    if (
        not isinstance(flow, dict)
        or flow.get("method") != method
        or flow.get("purpose") not in FLOWS
    ):
        return _fail(
            request,
            _("This identity check was not started here, or has ended. Please start again."),
        )
    try:
        claims = _provider(method).complete(request)
    except IdentityPending:
        if _wants_json(request):
            return JsonResponse({"pending": True, "redirect": request.get_full_path()})
        return render(request, "identity/pending.html", {"check_url": request.get_full_path()})
    except IdentityError as exc:
        request.session.pop(FLOW_SESSION_KEY, None)
        retry = reverse("identity:register") if flow["purpose"] == "register" else ""
        return _fail(request, exc.message, retry_url=retry)
    request.session.pop(FLOW_SESSION_KEY, None)
    if claims.method != method:
        return _fail(
            request, _("The identity check returned something unexpected. Please start again.")
        )
    return FLOWS[flow["purpose"]](request, claims, flow)


# --- Registration steps ---------------------------------------------------------

STEP_NAMES = (
    "identity",
    "customer",
    "phone",
    "email",
)


def _steps(current: int) -> list[dict[str, Any]]:
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
            "steps": _steps(1),
        },
    )


@never_cache
@require_http_methods(["GET"])
def register_blocked(request: HttpRequest) -> HttpResponse:
    """RG-5: after the last failed try, the contact centre."""
    return render(request, "identity/blocked.html", {"steps": _steps(1)})


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
        services.registration_cancel(request=request, attempt=attempt)
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
    return _resend_message(request, result) or redirect(code_url)


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
        try:
            token = services.registration_phone_code_send(
                attempt=attempt,
                phone=form.cleaned_data["phone"],
                consent=form.cleaned_data["consent_other_uses"],
                context=Context.from_request(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except CodeRateLimited as exc:
            return rate_limited_response(request, exc.retry_after)
        else:
            request.session[PHONE_CODE_KEY] = {"attempt": str(attempt.pk), "binding": token}
            return redirect("identity:register_phone_code")
    return render(request, "identity/phone.html", {"form": form, "steps": _steps(2)})


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
        ended = code_refusal(form, check)
        if ended:
            request.session.pop(PHONE_CODE_KEY, None)
            messages.error(request, ended)
            return redirect("identity:register_phone")
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
        steps=_steps(2),
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
        try:
            token = services.registration_email_code_send(
                attempt=attempt,
                email=form.cleaned_data["email"],
                context=Context.from_request(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except CodeRateLimited as exc:
            return rate_limited_response(request, exc.retry_after)
        else:
            request.session[EMAIL_CODE_KEY] = {"attempt": str(attempt.pk), "binding": token}
            return redirect("identity:register_email_code")
    return render(
        request,
        "identity/email.html",
        {"form": form, "steps": _steps(3), "phone_masked": phone_mask(attempt.phone)},
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
                person = services.registration_complete(attempt=attempt, request=request)
            except services.RegistrationConflict as exc:
                return _error_page(request, exc.message, status=409)
            messages.success(
                request,
                _("Welcome, %(name)s: you are registered and logged in.")
                % {"name": person.first_name},
            )
            next_url = request.session.pop(REGISTRATION_NEXT_KEY, "")
            return redirect(
                safe_next(request, next_url) if next_url else settings.LOGIN_REDIRECT_URL
            )
        ended = code_refusal(form, check)
        if ended:
            request.session.pop(EMAIL_CODE_KEY, None)
            messages.error(request, ended)
            return redirect("identity:register_email")
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
        steps=_steps(3),
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


# --- Log-in and step-up with a provider ------------------------------------------


@never_cache
@require_POST
def login_start(request: HttpRequest, method: str) -> HttpResponse:
    """Log in with itsme or the eID card (LG-5: a new card works at once)."""
    method = _method_or_404(method)
    return _provider_start(
        request, method=method, flow="login", next_url=safe_next(request, request.POST.get("next"))
    )


@never_cache
@login_required
@require_POST
def step_up_start(request: HttpRequest, method: str) -> HttpResponse:
    method = _method_or_404(method)
    if method not in HIGH_METHODS:
        raise Http404
    return _provider_start(
        request,
        method=method,
        flow="step_up",
        next_url=safe_next(request, request.POST.get("next")),
    )


# --- A new phone number (LG-4) ----------------------------------------------------


@never_cache
@require_http_methods(["GET"])
def new_phone(request: HttpRequest) -> HttpResponse:
    """Lost or changed phone: prove who you are with itsme or the eID card."""
    return render(request, "identity/new_phone.html", {"itsme_howto_url": ITSME_HOWTO_URL})


@never_cache
@require_POST
def new_phone_start(request: HttpRequest, method: str) -> HttpResponse:
    method = _method_or_404(method)
    if method not in HIGH_METHODS:
        return redirect("identity:new_phone_contact_centre")
    request.session.pop(NEW_PHONE_KEY, None)
    return _provider_start(request, method=method, flow="new_phone")


@never_cache
@require_http_methods(["GET"])
def new_phone_contact_centre(request: HttpRequest) -> HttpResponse:
    """Registered with IDnow: the contact centre changes the number."""
    return render(request, "identity/new_phone_contact_centre.html")


def _new_phone_session(request: HttpRequest) -> dict[str, Any] | None:
    data = request.session.get(NEW_PHONE_KEY)
    user = request.user
    if (
        not isinstance(data, dict)
        or not isinstance(user, Person)
        or data.get("person") != user.pk
        or time.time() - float(data.get("at", 0)) > services.NEW_PHONE_MAX_AGE_SECONDS
    ):
        return None
    return data


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_phone_number(request: HttpRequest) -> HttpResponse:
    data = _new_phone_session(request)
    person = request.user
    if data is None or not isinstance(person, Person):
        messages.info(request, _("Prove who you are again to change your phone number."))
        return redirect("identity:new_phone")
    form = PhoneForm(request.POST or None)
    form.fields.pop("consent_other_uses")
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            token = services.new_phone_code_send(
                person=person, phone=phone, context=Context.from_request(request)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except CodeRateLimited as exc:
            return rate_limited_response(request, exc.retry_after)
        else:
            request.session[NEW_PHONE_KEY] = {**data, "phone": phone, "binding": token}
            return redirect("identity:new_phone_code")
    return render(
        request,
        "identity/new_phone_number.html",
        {"form": form, "old_phone": phone_mask(person.phone) if person.phone else ""},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_phone_code(request: HttpRequest) -> HttpResponse:
    data = _new_phone_session(request)
    person = request.user
    if data is None or not isinstance(person, Person):
        return redirect("identity:new_phone")
    if not data.get("binding"):
        return redirect("identity:new_phone_number")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = services.person_phone_rebind(
                person=person,
                new_phone=data["phone"],
                binding_token=data["binding"],
                value=form.cleaned_data["code"],
                method=data["method"],
                context=Context.from_request(request),
            )
        except ValidationError as exc:
            request.session.pop(NEW_PHONE_KEY, None)
            return _error_page(request, " ".join(exc.messages), status=409)
        if check.outcome == CodeOutcome.OK:
            request.session.pop(NEW_PHONE_KEY, None)
            messages.success(
                request,
                _("Your new number %(phone)s now receives your log-in codes.")
                % {"phone": phone_mask(data["phone"])},
            )
            return redirect(settings.LOGIN_REDIRECT_URL)
        ended = code_refusal(form, check)
        if ended:
            request.session[NEW_PHONE_KEY] = {
                k: v for k, v in data.items() if k not in ("binding", "phone")
            }
            messages.error(request, ended)
            return redirect("identity:new_phone_number")
    return code_page(
        request,
        form=form,
        title=_("Enter the code we sent by SMS"),
        lead=_("We have sent a code by SMS to your new number %(phone)s.")
        % {"phone": phone_mask(data["phone"])},
        action=reverse("identity:new_phone_code"),
        resend="",
        restart=reverse("identity:new_phone_number"),
        binding=data["binding"],
        purpose=CodePurpose.PHONE_VERIFY,
    )


# --- A new e-mail address (LG-3) ---------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    """Change the e-mail address yourself, after a high-assurance log-in;
    otherwise the page says how to get one (or to call the contact centre)."""
    person = request.user
    assert isinstance(person, Person)
    high = identity_session_is_high(request)
    # Bound on a POST only: a first visit shows no "Enter your e-mail address".
    form = EmailForm(request.POST if high and request.method == "POST" else None)
    form.fields["email"].label = _("New e-mail address")
    if high and request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        try:
            token = services.email_change_code_send(
                person=person, new_email=new_email, context=Context.from_request(request)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except CodeRateLimited as exc:
            return rate_limited_response(request, exc.retry_after)
        else:
            request.session[EMAIL_CHANGE_KEY] = {
                "person": person.pk,
                "email": new_email,
                "binding": token,
            }
            return redirect("identity:email_change_code")
    session = identity_session(request)
    return render(
        request,
        "identity/email_change.html",
        {
            "form": form,
            "high": high,
            "person": person,
            "logged_in_with": session.get("method") if session else "",
            "registered_high": person.assurance_level == AssuranceLevel.HIGH,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_change_code(request: HttpRequest) -> HttpResponse:
    person = request.user
    assert isinstance(person, Person)
    data = request.session.get(EMAIL_CHANGE_KEY)
    if (
        not identity_session_is_high(request)
        or not isinstance(data, dict)
        or data.get("person") != person.pk
    ):
        return redirect("identity:email_change")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = services.person_email_change_self(
                person=person,
                new_email=data["email"],
                binding_token=data["binding"],
                value=form.cleaned_data["code"],
                context=Context.from_request(request),
            )
        except ValidationError as exc:
            request.session.pop(EMAIL_CHANGE_KEY, None)
            return _error_page(request, " ".join(exc.messages), status=409)
        if check.outcome == CodeOutcome.OK:
            request.session.pop(EMAIL_CHANGE_KEY, None)
            messages.success(
                request, _("Your e-mail address is now %(email)s.") % {"email": person.email}
            )
            return redirect("accounts:security")
        ended = code_refusal(form, check)
        if ended:
            request.session.pop(EMAIL_CHANGE_KEY, None)
            messages.error(request, ended)
            return redirect("identity:email_change")
    return code_page(
        request,
        form=form,
        title=_("Enter the code we sent by e-mail"),
        lead=_("We have sent a code by e-mail to %(email)s.")
        % {"email": mask_destination("email", data["email"])},
        action=reverse("identity:email_change_code"),
        resend="",
        restart=reverse("identity:email_change"),
        binding=data["binding"],
        purpose=CodePurpose.EMAIL_VERIFY,
    )


# --- The sandbox itsme ----------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@sandbox_only
def sandbox_itsme(request: HttpRequest) -> HttpResponse:
    """The sandbox's stand-in for the itsme app (sandbox mode only)."""
    state = request.POST.get("state") or request.GET.get("state", "")
    pending = itsme_sandbox.sandbox_state_get(request, state)
    if pending is None:
        return _error_page(request, _("This itsme request has ended. Please start again."))
    error = ""
    if request.method == "POST":
        choice = request.POST.get("identity")
        cancel = request.POST.get("action") == "cancel"
        if cancel or choice:
            try:
                url = itsme_sandbox.sandbox_authorize(
                    request=request, state=state, identity_key=None if cancel else choice
                )
            except IdentityError as exc:
                error = exc.message
            else:
                return redirect(url)
        else:
            error = _("Choose one of the demo identities.")
    return render(
        request,
        "identity/sandbox_itsme.html",
        {
            "state": state,
            "identities": itsme_sandbox.SANDBOX_IDENTITIES,
            "purpose": pending.get("purpose", ""),
            "error": error,
        },
        status=400 if error else 200,
    )
