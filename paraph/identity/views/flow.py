"""Choosing a method (RG-1, RG-6, RG-10), and the callback every provider
ends in (:func:`complete`), which hands the claims to the flow the session
says was started: registration, log-in, a new phone, or a step-up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from paraph.accounts.models import Person
from paraph.accounts.views import safe_next
from paraph.core.context import Context
from paraph.core.http import rate_limited_response
from paraph.identity import services
from paraph.identity.providers import (
    IdentityClaims,
    IdentityError,
    IdentityPending,
)
from paraph.identity.selectors import registration_attempt_current
from paraph.identity.sessions import (
    attempt_bind,
    attempt_follow,
    identity_proof_note,
    identity_session_open,
)
from paraph.identity.views.common import (
    FLOW_SESSION_KEY,
    ITSME_HOWTO_URL,
    NEW_PHONE_KEY,
    REGISTRATION_NEXT_KEY,
    flow_failed,
    flow_finished,
    method_or_404,
    method_provider,
    provider_start,
    wants_json,
)
from paraph.identity.views.registration import registration_steps

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
            "steps": registration_steps(0),
            "completing": completing,
            "next": safe_next(request, next_url) if next_url else "",
        },
    )


@never_cache
@require_POST
def register_start(request: HttpRequest, method: str) -> HttpResponse:
    method = method_or_404(method)
    try:
        attempt = services.registration_start(method=method, context=Context.from_request(request))
    except services.RegistrationRateLimited as exc:
        return rate_limited_response(request, exc.retry_after)
    attempt_bind(request, attempt)
    next_url = request.POST.get("next", "")
    if next_url:
        request.session[REGISTRATION_NEXT_KEY] = safe_next(request, next_url)
    else:
        request.session.pop(REGISTRATION_NEXT_KEY, None)
    return provider_start(request, method=method, flow="register")


# --- The callback of every provider -------------------------------------------


def _flow_register(
    request: HttpRequest, claims: IdentityClaims, flow: dict[str, Any]
) -> HttpResponse:
    step = services.registration_claims_received(
        claims=claims,
        context=Context.from_request(request),
        session_attempt=registration_attempt_current(request),
    )
    attempt_follow(request, step)
    if step.outcome == services.RegistrationOutcome.REFUSED:
        return flow_failed(
            request, _("This identity cannot be used to register. Please call the contact centre.")
        )
    return flow_finished(request, services.registration_next_url(step))


def _login_refused(request: HttpRequest, result: services.IdentityLoginResult) -> HttpResponse:
    outcome = result.outcome
    if outcome == services.IdentityLoginOutcome.NOT_REGISTERED:
        return flow_failed(
            request,
            _(
                "No account is registered for this identity. Register first: it takes a few minutes."
            ),
            retry_url=reverse("identity:register"),
        )
    if outcome == services.IdentityLoginOutcome.CONTACT_CENTRE:
        return flow_finished(request, reverse("identity:new_phone_contact_centre"))
    return flow_failed(
        request,
        _("We cannot log you in with this identity. Please call the contact centre."),
        retry_url=reverse("accounts:login"),
    )


def _identity_login(
    request: HttpRequest, claims: IdentityClaims, *, purpose: str
) -> services.IdentityLoginResult:
    result = services.identity_login(
        claims=claims, purpose=purpose, context=Context.from_request(request)
    )
    if result.outcome == services.IdentityLoginOutcome.OK and result.person is not None:
        identity_session_open(
            request, result.person, method=claims.method, assurance=claims.assurance
        )
    return result


def _flow_login(request: HttpRequest, claims: IdentityClaims, flow: dict[str, Any]) -> HttpResponse:
    result = _identity_login(request, claims, purpose="login")
    if result.outcome != services.IdentityLoginOutcome.OK:
        return _login_refused(request, result)
    return flow_finished(request, safe_next(request, flow.get("next")))


def _flow_new_phone(
    request: HttpRequest, claims: IdentityClaims, flow: dict[str, Any]
) -> HttpResponse:
    result = _identity_login(request, claims, purpose="new_phone")
    if result.outcome != services.IdentityLoginOutcome.OK or result.person is None:
        return _login_refused(request, result)
    request.session[NEW_PHONE_KEY] = {
        "person": result.person.pk,
        "method": claims.method,
        "at": int(time.time()),
    }
    return flow_finished(request, reverse("identity:new_phone_number"))


def _flow_step_up(
    request: HttpRequest, claims: IdentityClaims, flow: dict[str, Any]
) -> HttpResponse:
    person = request.user
    if not isinstance(person, Person) or not services.identity_step_up(
        person=person, claims=claims, context=Context.from_request(request)
    ):
        return flow_failed(
            request,
            _("This identity is not the one of the account you are logged in to."),
            retry_url=reverse("identity:email_change"),
        )
    identity_proof_note(request, person, method=claims.method, assurance=claims.assurance)
    return flow_finished(request, safe_next(request, flow.get("next")))


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
    method = method_or_404(method)
    flow = request.session.get(FLOW_SESSION_KEY)
    if (
        not isinstance(flow, dict)
        or flow.get("method") != method
        or flow.get("purpose") not in FLOWS
    ):
        return flow_failed(
            request,
            _("This identity check was not started here, or has ended. Please start again."),
        )
    try:
        claims = method_provider(method).complete(request)
    except IdentityPending:
        if wants_json(request):
            return JsonResponse({"pending": True, "redirect": request.get_full_path()})
        return render(request, "identity/pending.html", {"check_url": request.get_full_path()})
    except IdentityError as exc:
        request.session.pop(FLOW_SESSION_KEY, None)
        retry = reverse("identity:register") if flow["purpose"] == "register" else ""
        return flow_failed(request, exc.message, retry_url=retry)
    request.session.pop(FLOW_SESSION_KEY, None)
    if claims.method != method:
        return flow_failed(
            request, _("The identity check returned something unexpected. Please start again.")
        )
    return FLOWS[flow["purpose"]](request, claims, flow)
