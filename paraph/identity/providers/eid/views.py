"""The eID card's pages: the card page (its script talks to the Web eID
extension), the challenge it asks for, and, in sandbox mode only, the
virtual card reader's endpoints and the sandbox CA's OCSP responder.

The token the page obtains is posted to ``identity:eid_authenticate``
(the registration flow's ``complete`` view), which asks
:class:`paraph.identity.providers.eid.EidProvider` to validate it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from paraph.core.http import client_ip
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity.providers.eid import webeid
from paraph.identity.providers.eid.provider import PURPOSE_SESSION_KEY, PURPOSES
from paraph.identity.providers.eid.sandbox import virtual_reader_enabled

logger = logging.getLogger(__name__)

# Challenges one address may ask for in ten minutes (each one may cost an
# OCSP request to Belgium's responder).
CHALLENGES_PER_WINDOW = 20
CHALLENGE_WINDOW_SECONDS = 600

# Where "try again" restarts each flow of the registration views (the
# provider is told only register/login/step_up; the flow says more).
_RESTART = {
    "register": "identity:register_start",
    "login": "identity:login_start",
    "new_phone": "identity:new_phone_start",
    "step_up": "identity:step_up_start",
}
_TITLES = {
    "register": gettext_lazy("Register with your eID card"),
    "login": gettext_lazy("Log in with your eID card"),
    "step_up": gettext_lazy("Confirm who you are with your eID card"),
}

EID_SOFTWARE_URL = "https://eid.belgium.be/"
WEB_EID_URL = "https://web-eid.eu/"


def _restart(request: HttpRequest, purpose: str) -> tuple[str, str]:
    """Where "try again" posts to start the same flow again, and its "next"."""
    from paraph.identity.views import FLOW_SESSION_KEY

    flow = request.session.get(FLOW_SESSION_KEY)
    if isinstance(flow, dict) and flow.get("purpose") in _RESTART:
        return reverse(_RESTART[flow["purpose"]], args=["eid"]), str(flow.get("next") or "")
    return reverse(_RESTART[purpose], args=["eid"]), ""


@never_cache
@require_GET
def eid_page(request: HttpRequest) -> HttpResponse:
    """The card page (RG-8, RG-9): reads the card through the Web eID
    extension, or explains how to install it when it does not answer."""
    purpose = request.session.get(PURPOSE_SESSION_KEY)
    if purpose not in PURPOSES:
        return redirect("identity:register")
    restart_url, restart_next = _restart(request, purpose)
    context: dict[str, Any] = {
        "purpose": purpose,
        "title": _TITLES[purpose],
        "virtual_reader": virtual_reader_enabled(request),
        "challenge_url": reverse("identity:eid_challenge"),
        "authenticate_url": reverse("identity:eid_authenticate"),
        "restart_url": restart_url,
        "restart_next": restart_next,
        "challenge_minutes": int(webeid.CHALLENGE_TTL.total_seconds() // 60),
        "eid_software_url": EID_SOFTWARE_URL,
        "web_eid_url": WEB_EID_URL,
    }
    if context["virtual_reader"]:
        from paraph.identity.providers.eid import sandbox as eid_sandbox

        context["sandbox_cards"] = eid_sandbox.cards_list()
        context["sandbox_pin"] = eid_sandbox.PIN
        context["sandbox_sign_url"] = reverse("identity:eid_sandbox_sign")
        context["sandbox_unblock_url"] = reverse("identity:eid_sandbox_unblock")
    return render(request, "identity/eid_card.html", context)


@never_cache
@require_POST
def eid_challenge(request: HttpRequest) -> HttpResponse:
    """A fresh challenge for the card to sign, kept in this session for five
    minutes; a new one replaces the previous one."""
    if request.session.get(PURPOSE_SESSION_KEY) not in PURPOSES:
        return JsonResponse({"error": _("This page has expired. Please start again.")}, status=400)
    limit = ratelimit_hit(
        scope="identity.eid.challenge",
        key=client_ip(request) or "unknown",
        limit=CHALLENGES_PER_WINDOW,
        window_seconds=CHALLENGE_WINDOW_SECONDS,
    )
    if not limit.allowed:
        minutes = max(1, (limit.retry_after + 59) // 60)
        message = ngettext(
            "Too many tries. Please wait %(count)d minute and try again.",
            "Too many tries. Please wait %(count)d minutes and try again.",
            minutes,
        ) % {"count": minutes}
        return JsonResponse({"error": message}, status=429)
    return JsonResponse({"challengeNonce": webeid.challenge_issue(request.session)})


# --- Sandbox: the virtual card reader and the sandbox CA's OCSP responder -----


def _sandbox_only() -> None:
    if not settings.SANDBOX:
        raise Http404


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Http404
    return body


@never_cache
@require_POST
def sandbox_sign(request: HttpRequest) -> HttpResponse:
    """The virtual card signs the challenge for the page's origin once the
    right PIN is typed (what the card does behind the Web eID extension).
    Its answer is an ordinary token, validated like a real card's."""
    _sandbox_only()
    from paraph.identity.providers.eid import sandbox as eid_sandbox

    body = _json_body(request)
    card, pin = str(body.get("card", "")), str(body.get("pin", ""))
    challenge, origin = str(body.get("challengeNonce", "")), str(body.get("origin", ""))
    if not (0 < len(challenge) <= 200 and 0 < len(origin) <= 300 and len(pin) <= 12):
        return JsonResponse({"code": "bad_request"}, status=400)
    try:
        token = eid_sandbox.card_authenticate(
            card_id=card, pin=pin, challenge=challenge, origin=origin
        )
    except eid_sandbox.CardError as exc:
        return _card_error(exc)
    return JsonResponse({"authToken": token})


def _card_error(exc: Any) -> JsonResponse:
    """The virtual card's refusal, in words for its reader's window. The
    card answered (a wrong PIN is no HTTP error): the reader shows it."""
    if exc.code == "pin_wrong":
        message = ngettext(
            "Wrong PIN code. %(count)d try left before the card is blocked.",
            "Wrong PIN code. %(count)d tries left before the card is blocked.",
            exc.tries_left,
        ) % {"count": exc.tries_left}
    elif exc.code == "pin_blocked":
        message = _(
            "This card is blocked: its PIN code was wrong three times. "
            "A real card is unblocked at your municipality with its PUK code."
        )
    elif exc.code == "wrong_certificate":
        message = _(
            "The card in the reader is not the one whose certificate was read. Start again."
        )
    elif exc.code == "bad_hash":
        message = _("The card cannot sign this value.")
    else:
        message = _("There is no such card in the virtual reader.")
    return JsonResponse({"code": exc.code, "message": message, "triesLeft": exc.tries_left})


@never_cache
@require_POST
def sandbox_signing_certificate(request: HttpRequest) -> HttpResponse:
    """The virtual card's signature certificate (Web eID's
    ``getSigningCertificate``; a real card gives it without a PIN)."""
    _sandbox_only()
    from paraph.identity.providers.eid import sandbox as eid_sandbox

    try:
        answer = eid_sandbox.card_signing_certificate(str(_json_body(request).get("card", "")))
    except eid_sandbox.CardError as exc:
        return _card_error(exc)
    return JsonResponse(answer)


@never_cache
@require_POST
def sandbox_sign_hash(request: HttpRequest) -> HttpResponse:
    """The virtual card signs a document's hash once the right PIN is typed
    (Web eID's ``sign``); the same PIN counter as for authentication."""
    _sandbox_only()
    from paraph.identity.providers.eid import sandbox as eid_sandbox

    body = _json_body(request)
    card, pin = str(body.get("card", "")), str(body.get("pin", ""))
    certificate, hash_value = str(body.get("certificate", "")), str(body.get("hash", ""))
    hash_function = str(body.get("hashFunction", ""))
    if not (0 < len(certificate) <= 10_000 and 0 < len(hash_value) <= 200 and len(pin) <= 12):
        return JsonResponse({"code": "bad_request"}, status=400)
    try:
        answer = eid_sandbox.card_sign(
            card_id=card,
            pin=pin,
            certificate=certificate,
            hash_value=hash_value,
            hash_function=hash_function,
        )
    except eid_sandbox.CardError as exc:
        return _card_error(exc)
    return JsonResponse(answer)


@never_cache
@require_POST
def sandbox_unblock(request: HttpRequest) -> HttpResponse:
    """Unblock a virtual card (what the PUK code does for a real one)."""
    _sandbox_only()
    from paraph.identity.providers.eid import sandbox as eid_sandbox

    try:
        eid_sandbox.card_unblock(str(_json_body(request).get("card", "")))
    except eid_sandbox.CardError:
        raise Http404 from None
    return JsonResponse({"unblocked": True, "triesLeft": eid_sandbox.PIN_TRIES})


@csrf_exempt  # an OCSP client posts a DER request, as to Belgium's responder
@require_POST
def sandbox_ocsp(request: HttpRequest) -> HttpResponse:
    """The sandbox citizen CA's OCSP responder (RFC 6960 over HTTP POST)."""
    _sandbox_only()
    from paraph.identity.providers.eid import sandbox as eid_sandbox

    return HttpResponse(
        eid_sandbox.ocsp_respond(request.body[:10_000]), content_type="application/ocsp-response"
    )
