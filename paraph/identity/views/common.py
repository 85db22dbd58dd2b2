"""What identity's pages share: the session keys of the flows, the provider
of a method (404 when switched off), and the error, failure and code-resent
answers every step gives."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from paraph.accounts.feedback import code_refusal, resend_feedback
from paraph.accounts.services import CodeCheck, CodeRateLimited, CodeResend
from paraph.core.http import rate_limited_response
from paraph.identity.methods import method_enabled
from paraph.identity.models import IdentityMethod
from paraph.identity.providers import (
    IdentityError,
    IdentityProvider,
    get_identity_provider,
)

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


def method_or_404(method: str) -> str:
    if method not in IdentityMethod.values or not method_enabled(method):
        raise Http404
    return method


def method_provider(method: str) -> IdentityProvider:
    try:
        return get_identity_provider(method)
    except ImportError as exc:
        raise IdentityError(
            "unavailable", _("This way of proving who you are is not available at the moment.")
        ) from exc


def error_page(
    request: HttpRequest, message: str, *, status: int = 400, retry_url: str = ""
) -> HttpResponse:
    return render(
        request,
        "identity/error.html",
        {"message": message, "retry_url": retry_url or reverse("identity:register")},
        status=status,
    )


def provider_start(
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
        return method_provider(method).start(request, purpose=PROVIDER_PURPOSE[flow])
    except IdentityError as exc:
        request.session.pop(FLOW_SESSION_KEY, None)
        return error_page(request, exc.message)


def wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def flow_finished(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect, or for a script (the eID page posts JSON) the address."""
    if wants_json(request):
        return JsonResponse({"redirect": url})
    return redirect(url)


def flow_failed(request: HttpRequest, message: str, *, retry_url: str = "") -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": message}, status=400)
    return error_page(request, message, retry_url=retry_url)


def code_resent_message(request: HttpRequest, result: CodeResend) -> HttpResponse | None:
    return resend_feedback(
        request, result, ended=_("No new code can be sent for this attempt. Start this step again.")
    )


def code_sent(
    request: HttpRequest,
    form: forms.Form,
    send: Callable[[], str],
    *,
    session_key: str,
    state: dict[str, Any],
    code_url: str,
) -> HttpResponse | None:
    """Send the code that proves what ``form`` holds (a phone, an address):
    then the browser keeps ``state`` with the code's binding and goes to
    ``code_url``. A refused value is the form's error (``None``: the form
    is shown again)."""
    try:
        token = send()
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    except CodeRateLimited as exc:
        return rate_limited_response(request, exc.retry_after)
    request.session[session_key] = {**state, "binding": token}
    return redirect(code_url)


def code_ended(
    request: HttpRequest,
    form: forms.Form,
    check: CodeCheck,
    *,
    session_key: str,
    restart: str,
    keep: dict[str, Any] | None = None,
) -> HttpResponse | None:
    """A wrong code is the form's error (``None``); a code that can no
    longer be used (too many tries, expired) sends the person back to
    ``restart``, the browser keeping only ``keep`` of the step."""
    ended = code_refusal(form, check)
    if not ended:
        return None
    if keep is None:
        request.session.pop(session_key, None)
    else:
        request.session[session_key] = keep
    messages.error(request, ended)
    return redirect(restart)
