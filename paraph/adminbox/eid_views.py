"""Signing a contract with the eID card (ES-6): the page, whose script
(``adminbox/eid-sign.js``) speaks the Web eID extension's protocol, and
the two JSON steps it calls.

1. ``prepare``: the card's signing certificate is checked for this person
   (:func:`paraph.signing.services.eid_signature_prepare`: Belgian CA,
   nonRepudiation, valid, not revoked by OCSP, the recipient's national
   number) and the hash to sign is returned;
2. ``finish``: the card's signature is put in the PDF
   and the signed contract recorded, in one service
   (:func:`paraph.contracts.services.contract_sign_with_eid`).

Every refusal is JSON ``{code, message}`` with the message in the
person's language, which the page shows as it is. In sandbox mode
without configured eID CAs the page carries the virtual card reader.
"""

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
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from paraph.accounts.models import Person
from paraph.contracts.models import Contract, ContractStatus
from paraph.contracts.selectors import contract_get_for_person
from paraph.contracts.services import (
    ContractError,
    ContractNotSignable,
    contract_check_signable,
    contract_evidence_add,
    contract_sign_with_eid,
    contract_signing_input,
)
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity.eid_sandbox import virtual_reader_enabled
from paraph.signing import services as signing
from paraph.signing.exceptions import (
    CertificateRejected,
    PreparedSignatureUnavailable,
    SignatureValueMismatch,
    SigningConfigurationError,
    SigningError,
    TimestampUnavailable,
)

logger = logging.getLogger(__name__)

# Each prepare checks the card with OCSP and keeps a prepared PDF: a person
# gets this many in ten minutes, and as many finishes.
PREPARES_PER_WINDOW = 10
FINISHES_PER_WINDOW = 20
WINDOW_SECONDS = 600
MAX_CERTIFICATE_CHARS = 12_000
MAX_SIGNATURE_CHARS = 2_000
_SESSION_KEY = "adminbox.eid_sign"  # prepared id -> the checked certificate's evidence

EID_SOFTWARE_URL = "https://eid.belgium.be/"
WEB_EID_URL = "https://web-eid.eu/"
_HASH_FUNCTIONS = ("SHA-256", "SHA-384", "SHA-512")


def _contract(request: HttpRequest, public_id: Any) -> tuple[Person, Contract]:
    """The logged-in person's contract, or 404 (anyone else's too)."""
    person = request.user
    assert isinstance(person, Person)
    try:
        return person, contract_get_for_person(person=person, public_id=public_id)
    except Contract.DoesNotExist:
        raise Http404 from None


def password_url(contract: Contract) -> str:
    """The password path (a mandate first when there is none)."""
    return reverse("mandates:sign_password", args=[contract.public_id])


def contract_url(contract: Contract) -> str:
    return reverse("adminbox:contract", args=[contract.public_id])


# --- The page ----------------------------------------------------------------


@never_cache
@login_required
@require_GET
def sign_eid(request: HttpRequest, public_id: Any) -> HttpResponse:
    """ "You are about to sign with your eID card": the button, the progress,
    and the install guidance when no Web eID extension answers (RG-8, RG-9)."""
    person, contract = _contract(request, public_id)
    refusal = None
    try:
        contract_check_signable(contract=contract, person=person)
    except ContractNotSignable as exc:
        refusal = str(exc)
    context: dict[str, Any] = {
        "contract": contract,
        "refusal": refusal,
        "has_national_number": bool(person.national_number),
        "contract_url": contract_url(contract),
        "password_url": password_url(contract),
        "virtual_reader": virtual_reader_enabled(request),
        "prepare_url": reverse("adminbox:sign_eid_prepare", args=[contract.public_id]),
        "finish_url": reverse("adminbox:sign_eid_finish", args=[contract.public_id]),
        "prepared_minutes": max(1, settings.SIGNING_PREPARED_TTL_SECONDS // 60),
        "eid_software_url": EID_SOFTWARE_URL,
        "web_eid_url": WEB_EID_URL,
    }
    if context["virtual_reader"]:
        from paraph.identity import eid_sandbox

        context["sandbox_cards"] = eid_sandbox.cards_list()
        context["sandbox_pin"] = eid_sandbox.PIN
        context["sandbox_certificate_url"] = reverse("identity:eid_sandbox_signing_certificate")
        context["sandbox_sign_hash_url"] = reverse("identity:eid_sandbox_sign_hash")
        context["sandbox_unblock_url"] = reverse("identity:eid_sandbox_unblock")
    return render(request, "adminbox/sign_eid.html", context)


# --- The two JSON steps -----------------------------------------------------------


def _refuse(code: str, message: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, **extra}, status=status)


def _body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _limited(request: HttpRequest, person: Person, step: str, limit: int) -> JsonResponse | None:
    result = ratelimit_hit(
        scope=f"adminbox.eid_sign.{step}",
        key=str(person.pk),
        limit=limit,
        window_seconds=WINDOW_SECONDS,
    )
    if result.allowed:
        return None
    minutes = max(1, (result.retry_after + 59) // 60)
    message = ngettext(
        "Too many tries. Please wait %(count)d minute and try again.",
        "Too many tries. Please wait %(count)d minutes and try again.",
        minutes,
    ) % {"count": minutes}
    return _refuse("too_many_tries", message, status=429)


def _not_signable(exc: ContractNotSignable, contract: Contract) -> JsonResponse:
    return _refuse(exc.code, str(exc), status=409, contractUrl=contract_url(contract))


def _card_refused(exc: CertificateRejected, contract: Contract) -> JsonResponse:
    """What a refused signing certificate means for the person, in words."""
    if exc.code == "wrong_person":
        return _refuse(
            "not_your_card",
            _(
                "This eID card is not yours: its national register number is not the one of "
                "the person this contract is for. Insert your own eID card and try again."
            ),
        )
    if exc.code in ("key_usage", "not_yet_valid"):
        extra: dict[str, Any] = {}
        url = password_url(contract)
        if url:
            extra["passwordUrl"] = url
        return _refuse(
            "no_signing_certificate",
            _(
                "Your eID card has no active signature certificate: the cards of holders under "
                "18 cannot sign yet. Sign with a password instead."
            ),
            **extra,
        )
    if exc.code == "expired":
        return _refuse(
            "card_expired",
            _(
                "Your eID card has expired: it can no longer sign. Sign with a password, "
                "or sign with your new card once you have it."
            ),
        )
    if exc.code == "revoked":
        return _refuse(
            "card_revoked",
            _(
                "Your eID card was cancelled (a lost or stolen card, or a new card was made): "
                "it can no longer sign. Ask your municipality if you do not know why."
            ),
        )
    if exc.code == "revocation_unknown":
        return _refuse(
            "ocsp_unavailable",
            _(
                "The Belgian service that confirms an eID card is valid does not answer right "
                "now. Nothing was signed. Please try again in a few minutes."
            ),
            status=503,
        )
    return _refuse(
        "card_refused",
        _("This card cannot sign here: it is not a Belgian eID card's signature certificate."),
    )


def _unavailable() -> JsonResponse:
    return _refuse(
        "unavailable",
        _("Signing is not possible right now. Nothing was signed. Please try again later."),
        status=503,
    )


def _certificate_evidence(der: bytes) -> dict[str, str]:
    """What the contract's evidence keeps of the card's certificate."""
    cert = x509.load_der_x509_certificate(der)
    return {
        "certificate_subject": cert.subject.rfc4514_string(),
        "certificate_issuer": cert.issuer.rfc4514_string(),
        "certificate_serial": format(cert.serial_number, "x"),
        "certificate_sha256": hashlib.sha256(der).hexdigest(),
    }


@never_cache
@login_required
@require_POST
def sign_eid_prepare(request: HttpRequest, public_id: Any) -> HttpResponse:
    """POST ``{certificate, supportedSignatureAlgorithms}`` (what Web eID's
    ``getSigningCertificate`` gave) → ``{preparedId, hash, hashFunction}``
    for Web eID's ``sign``."""
    person, contract = _contract(request, public_id)
    limited = _limited(request, person, "prepare", PREPARES_PER_WINDOW)
    if limited:
        return limited
    body = _body(request)
    raw = body.get("certificate") if body else None
    try:
        if not isinstance(raw, str) or not 0 < len(raw) <= MAX_CERTIFICATE_CHARS:
            raise ValueError
        certificate = base64.b64decode(raw, validate=True)
        evidence = _certificate_evidence(certificate)
    except (ValueError, binascii.Error):
        return _refuse(
            "bad_certificate", _("Your card's certificate could not be read. Please try again.")
        )
    if not person.national_number:
        return _refuse(
            "no_national_number",
            _(
                "Your account has no national register number, so Paraph cannot check that "
                "the eID card is yours. Sign with a password instead."
            ),
        )
    try:
        contract_check_signable(contract=contract, person=person)
        document = contract_signing_input(contract=contract)
        prepared = signing.eid_signature_prepare(
            person=person,
            document=document.document,
            document_ref=document.document_ref,
            certificate=certificate,
            field_name=document.field_name,
            placement=document.placement,
            request=request,
        )
    except ContractNotSignable as exc:
        return _not_signable(exc, contract)
    except CertificateRejected as exc:
        # Another person's certificate stays out of this contract's evidence.
        contract_evidence_add(
            contract=contract,
            step="eid_certificate_checked",
            person=person,
            data={"accepted": False, "reason": exc.code},
            request=request,
        )
        return _card_refused(exc, contract)
    except (ContractError, SigningError) as exc:
        logger.warning("eID signature of contract %s not prepared: %s", contract.public_id, exc)
        return _unavailable()
    supported = _supported_hashes(body)
    if supported is not None and prepared.hash_function not in supported:
        return _refuse(
            "hash_unsupported",
            _("Your card cannot make this kind of signature. Sign with a password instead."),
        )
    checked_at = timezone.now().isoformat()
    evidence = {**evidence, "revocation_status": "good", "revocation_checked_at": checked_at}
    contract_evidence_add(
        contract=contract,
        step="eid_certificate_checked",
        person=person,
        data={"accepted": True, **evidence},
        request=request,
    )
    contract_evidence_add(
        contract=contract,
        step="signature_prepared",
        person=person,
        data={"prepared_id": prepared.prepared_id, "hash_function": prepared.hash_function},
        request=request,
    )
    kept = request.session.get(_SESSION_KEY) or {}
    kept = dict(list(kept.items())[-4:])  # a few tries at most
    kept[prepared.prepared_id] = evidence
    request.session[_SESSION_KEY] = kept
    return JsonResponse(
        {
            "preparedId": prepared.prepared_id,
            "hash": base64.b64encode(prepared.digest).decode(),
            "hashFunction": prepared.hash_function,
        }
    )


def _supported_hashes(body: dict[str, Any] | None) -> set[str] | None:
    """The hash functions the card said it signs with, if it said."""
    algorithms = (body or {}).get("supportedSignatureAlgorithms")
    if not isinstance(algorithms, list) or not algorithms:
        return None
    names = {
        item.get("hashFunction")
        for item in algorithms[:50]
        if isinstance(item, dict) and item.get("hashFunction") in _HASH_FUNCTIONS
    }
    return {str(name) for name in names}


@never_cache
@login_required
@require_POST
def sign_eid_finish(request: HttpRequest, public_id: Any) -> HttpResponse:
    """POST ``{preparedId, signature}`` (what Web eID's ``sign`` gave) →
    ``{redirect}`` to the signed contract."""
    person, contract = _contract(request, public_id)
    limited = _limited(request, person, "finish", FINISHES_PER_WINDOW)
    if limited:
        return limited
    body = _body(request) or {}
    prepared_id, raw = body.get("preparedId"), body.get("signature")
    try:
        if not isinstance(prepared_id, str):
            raise ValueError
        prepared_id = str(uuid.UUID(prepared_id))
        if not isinstance(raw, str) or not 0 < len(raw) <= MAX_SIGNATURE_CHARS:
            raise ValueError
        signature = base64.b64decode(raw, validate=True)
    except (ValueError, binascii.Error):
        return _refuse("bad_request", _("Your card's signature could not be read. Start again."))
    start_again = _("Too much time passed since your card was read. Start again.")
    try:
        contract_sign_with_eid(
            contract=contract,
            person=person,
            prepared_id=prepared_id,
            signature_value=signature,
            evidence=(request.session.get(_SESSION_KEY) or {}).get(prepared_id, {}),
            request=request,
        )
    except ContractNotSignable as exc:
        return _not_signable(exc, contract)
    except SignatureValueMismatch:
        return _refuse(
            "signature_mismatch",
            _(
                "The signature made by your card does not match the document. Nothing was "
                "signed. Check that the same card is still in the reader and try again."
            ),
        )
    except PreparedSignatureUnavailable as exc:
        contract.refresh_from_db()
        if contract.status == ContractStatus.SIGNED:
            return _not_signable(
                ContractNotSignable(_("This contract is already signed."), code="already_signed"),
                contract,
            )
        code = "prepared_expired" if exc.code in ("expired", "used") else "prepared_unknown"
        return _refuse(code, start_again)
    except TimestampUnavailable:
        return _unavailable()
    except (ContractError, SigningConfigurationError, SigningError) as exc:
        logger.warning("eID signature of contract %s not finished: %s", contract.public_id, exc)
        return _unavailable()
    kept = request.session.get(_SESSION_KEY) or {}
    kept.pop(prepared_id, None)
    request.session[_SESSION_KEY] = kept
    # the same page as after a password signature: "You signed ...", the download
    return JsonResponse({"redirect": reverse("mandates:signed", args=[contract.public_id])})
