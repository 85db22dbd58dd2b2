"""Signing the mandate with the eID card (ES-7): the page, driven by the
adminbox's generic Web eID component (``adminbox/eid-sign.js``, its data
attributes documented there), and its two JSON steps. Every refusal is
JSON ``{code, message}`` in the person's language."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import uuid
from typing import Any

from cryptography import x509
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from paraph.accounts.models import Person
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity.eid_sandbox import virtual_reader_enabled
from paraph.mandates import services
from paraph.mandates.models import Mandate, MandateStatus
from paraph.mandates.selectors import mandate_in_progress
from paraph.signing.exceptions import (
    CertificateRejected,
    PreparedSignatureUnavailable,
    SignatureValueMismatch,
    SigningError,
)

logger = logging.getLogger(__name__)

STEPS_PER_WINDOW = 20
WINDOW_SECONDS = 600
MAX_CERTIFICATE_CHARS = 12_000
MAX_SIGNATURE_CHARS = 2_000
_SESSION_KEY = "paraph_mandate_eid"  # prepared id -> the checked certificate's evidence


def _pending(request: HttpRequest) -> Mandate | None:
    mandate = mandate_in_progress(request.user)  # type: ignore[arg-type]
    return mandate if mandate is not None and mandate.status == MandateStatus.PENDING else None


def _refuse(code: str, message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _limited(person: Person) -> JsonResponse | None:
    result = ratelimit_hit(
        scope="mandates.eid", key=str(person.pk), limit=STEPS_PER_WINDOW, window_seconds=600
    )
    if result.allowed:
        return None
    return _refuse("too_many_tries", _("Too many tries. Please wait and try again."), 429)


def _gone() -> JsonResponse:
    return _refuse(
        "state", _("This mandate is no longer waiting for a signature. Start again."), 409
    )


@never_cache
@login_required
@require_GET
def eid(request: HttpRequest) -> HttpResponse:
    """Sign the pending mandate with the eID card."""
    person: Person = request.user  # type: ignore[assignment]
    mandate = _pending(request)
    if mandate is None:
        return redirect("mandates:start")
    context: dict[str, Any] = {
        "mandate": mandate,
        "has_national_number": bool(person.national_number),
        "virtual_reader": virtual_reader_enabled(request),
        "prepare_url": reverse("mandates:eid_prepare"),
        "finish_url": reverse("mandates:eid_finish"),
        "start_url": reverse("mandates:start"),
        "prepared_minutes": max(1, settings.SIGNING_PREPARED_TTL_SECONDS // 60),
    }
    if context["virtual_reader"]:
        from paraph.identity import eid_sandbox

        context["sandbox_cards"] = eid_sandbox.cards_list()
        context["sandbox_pin"] = eid_sandbox.PIN
        context["sandbox_certificate_url"] = reverse("identity:eid_sandbox_signing_certificate")
        context["sandbox_sign_hash_url"] = reverse("identity:eid_sandbox_sign_hash")
        context["sandbox_unblock_url"] = reverse("identity:eid_sandbox_unblock")
    return render(request, "mandates/eid.html", context)


def _card_refused(exc: CertificateRejected) -> JsonResponse:
    if exc.code == "wrong_person":
        return _refuse(
            "not_your_card",
            _("This eID card is not yours. Insert your own eID card and try again."),
        )
    if exc.code in ("key_usage", "not_yet_valid", "expired", "revoked"):
        return _refuse(
            "card_cannot_sign",
            _(
                "This eID card cannot sign (no active signature certificate, expired or "
                "cancelled). Sign your mandate with a code instead."
            ),
        )
    if exc.code == "revocation_unknown":
        return _refuse(
            "ocsp_unavailable",
            _("The service that confirms an eID card is valid does not answer. Try again."),
            503,
        )
    return _refuse("card_refused", _("This card cannot sign here."))


@never_cache
@login_required
@require_POST
def eid_prepare(request: HttpRequest) -> HttpResponse:
    """POST ``{certificate}`` → ``{preparedId, hash, hashFunction}``."""
    person: Person = request.user  # type: ignore[assignment]
    limited = _limited(person)
    if limited:
        return limited
    mandate = _pending(request)
    if mandate is None:
        return _gone()
    raw = _body(request).get("certificate")
    try:
        if not isinstance(raw, str) or not 0 < len(raw) <= MAX_CERTIFICATE_CHARS:
            raise ValueError
        certificate = base64.b64decode(raw, validate=True)
        cert = x509.load_der_x509_certificate(certificate)
    except (ValueError, binascii.Error):
        return _refuse("bad_certificate", _("Your card's certificate could not be read."))
    try:
        prepared = services.mandate_eid_prepare(
            mandate=mandate, certificate=certificate, request=request
        )
    except CertificateRejected as exc:
        return _card_refused(exc)
    except services.MandateError:
        return _gone()
    except SigningError as exc:
        logger.warning("eID signature of mandate %s not prepared: %s", mandate.reference, exc)
        return _refuse("unavailable", _("Signing is not possible right now. Try again."), 503)
    kept = dict(list((request.session.get(_SESSION_KEY) or {}).items())[-4:])
    kept[prepared.prepared_id] = {
        "certificate_subject": cert.subject.rfc4514_string(),
        "certificate_issuer": cert.issuer.rfc4514_string(),
        "certificate_serial": format(cert.serial_number, "x"),
        "certificate_sha256": hashlib.sha256(certificate).hexdigest(),
    }
    request.session[_SESSION_KEY] = kept
    return JsonResponse(
        {
            "preparedId": prepared.prepared_id,
            "hash": base64.b64encode(prepared.digest).decode(),
            "hashFunction": prepared.hash_function,
        }
    )


@never_cache
@login_required
@require_POST
def eid_finish(request: HttpRequest) -> HttpResponse:
    """POST ``{preparedId, signature}`` → ``{redirect}`` to the password."""
    person: Person = request.user  # type: ignore[assignment]
    limited = _limited(person)
    if limited:
        return limited
    mandate = _pending(request)
    if mandate is None:
        return _gone()
    body = _body(request)
    try:
        prepared_id = str(uuid.UUID(str(body.get("preparedId"))))
        raw = body.get("signature")
        if not isinstance(raw, str) or not 0 < len(raw) <= MAX_SIGNATURE_CHARS:
            raise ValueError
        signature = base64.b64decode(raw, validate=True)
    except (ValueError, binascii.Error):
        return _refuse("bad_request", _("Your card's signature could not be read. Start again."))
    evidence = (request.session.get(_SESSION_KEY) or {}).get(prepared_id, {})
    try:
        services.mandate_sign_with_eid(
            mandate=mandate,
            prepared_id=prepared_id,
            signature_value=signature,
            evidence=evidence,
            request=request,
        )
    except SignatureValueMismatch:
        return _refuse(
            "signature_mismatch",
            _("The signature made by your card does not match. Nothing was signed. Try again."),
        )
    except PreparedSignatureUnavailable:
        return _refuse(
            "prepared_expired", _("Too much time passed since your card was read. Start again.")
        )
    except services.MandateError:
        return _gone()
    except SigningError as exc:
        logger.warning("eID signature of mandate %s not finished: %s", mandate.reference, exc)
        return _refuse("unavailable", _("Signing is not possible right now. Try again."), 503)
    request.session.pop(_SESSION_KEY, None)
    return JsonResponse({"redirect": reverse("mandates:password")})
