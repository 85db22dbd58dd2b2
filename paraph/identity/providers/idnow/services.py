"""IDnow identifications: their creation, the result state machine, the
checks of the identity document, and the authenticated webhook.

States (``IdnowIdentification.status``, IDnow's result names)::

    STARTED ──▶ REVIEW_PENDING | CHECK_PENDING | FRAUD_SUSPICION_PENDING   (waiting)
       │                    │
       └────────────────────┴──▶ SUCCESS | SUCCESS_DATA_CHANGED            (succeeded,
                                 FRAUD_SUSPICION_CONFIRMED | CANCELED | ABORTED    or failed)

- A final result is final: a later result never changes it. The same
  result twice changes nothing the second time (no row, no audit event);
  an older, out-of-order status is ignored; a *different* final result
  after a final one is ignored too, and recorded as a conflict.
- A success is accepted only after Paraph's own checks of the document
  (:func:`idnow_document_check`): document accepted for its country
  (RG-12), not expired, MRZ check digits (ICAO 9303) when IDnow returns
  the MRZ, and the names, birth date, number and expiry the MRZ carries
  equal to what IDnow identified. A failed check turns the success into a
  refusal with a precise reason, kept in ``document["check"]`` and audited
  (``identity.idnow.refused``); IDnow's own verdict stays in ``status``.
- Each change writes exactly one audit event; a decision reached after
  the person was told "being checked" is also sent to them by e-mail.
- A confirmed fraud blocks its document (``IdnowDocumentBlock``, by a keyed
  hash of country, type and number): a later success with that document is
  refused (``document_blocked``) until staff lift the block with a reason.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from paraph.audit.services import audit_record
from paraph.core.context import Context
from paraph.core.http import client_ip
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity.models import (
    IDNOW_FAILED,
    IDNOW_SUCCESS,
    IdnowDocumentBlock,
    IdnowIdentification,
    IdnowResult,
    RegistrationAttempt,
)
from paraph.identity.providers.idnow.documents import accepted_documents
from paraph.identity.providers.idnow.mrz import Mrz, MrzError, mrz_parse, mrz_transliterate
from paraph.notifications.services import email_send

logger = logging.getLogger(__name__)

# The company id the sandbox IDnow writes into its results.
SANDBOX_COMPANY_ID = "paraph-sandbox"
# The webhook's Basic user name (only the password is checked).
WEBHOOK_USER = "idnow"
WEBHOOK_MAX_BYTES = 1_000_000
WEBHOOK_FAILURES_PER_IP = 30
# The identification a browser is following: in the session, and in a
# signed cookie that outlives the session (a review can take hours).
SESSION_KEY = "paraph_idnow_transaction"
COOKIE_SALT = "paraph.identity.idnow.cookie"
COOKIE_MAX_AGE = 7 * 24 * 3600

_RANK = {
    IdnowResult.CREATED: 0,
    IdnowResult.STARTED: 1,
    IdnowResult.REVIEW_PENDING: 2,
    IdnowResult.CHECK_PENDING: 2,
    IdnowResult.FRAUD_SUSPICION_PENDING: 2,
    **dict.fromkeys(IDNOW_SUCCESS | IDNOW_FAILED, 3),
}
PENDING = frozenset(s for s, rank in _RANK.items() if rank == 2)
FINAL = frozenset(s for s, rank in _RANK.items() if rank == 3)

# What the person reads when their identification did not succeed.
REFUSAL_MESSAGES = {
    "incomplete_data": _(
        "IDnow did not return all the data we need (names, birth date, document). Please try again."
    ),
    "document_not_accepted": _(
        "This identity document is not on the list of accepted documents. "
        "Please try again with an accepted document."
    ),
    "document_expired": _(
        "Your identity document has expired. Please try again with a valid document."
    ),
    "mrz_invalid": _(
        "The machine-readable zone of your document could not be verified. "
        "Please try again, or call the contact centre."
    ),
    "name_mismatch": _(
        "The name on your document does not match the name that was identified. "
        "Please call the contact centre."
    ),
    "birth_date_mismatch": _(
        "The birth date on your document does not match the one that was identified. "
        "Please call the contact centre."
    ),
    "document_number_mismatch": _(
        "The document number could not be confirmed. Please call the contact centre."
    ),
    "expiry_mismatch": _(
        "The expiry date of your document could not be confirmed. Please call the contact centre."
    ),
    IdnowResult.FRAUD_SUSPICION_CONFIRMED: _(
        "IDnow could not confirm your identity. Please call the contact centre."
    ),
    # True, and no help to whoever tries a document found fraudulent: it
    # says neither why nor since when.
    "document_blocked": _(
        "This identity document cannot be used to register online. Please call the contact centre."
    ),
    IdnowResult.CANCELED: _("The identification was cancelled before it ended. You can try again."),
    IdnowResult.ABORTED: _(
        "The identification was interrupted before it ended. You can try again."
    ),
}
# The refusals a new attempt may fix; the others need the contact centre.
RETRY_HELPS = frozenset(
    {"incomplete_data", "document_not_accepted", "document_expired", "mrz_invalid"}
    | {IdnowResult.CANCELED, IdnowResult.ABORTED}
)


class IdnowPayloadError(ValueError):
    """A result that is not IDnow's JSON, or misses what identifies it."""


# --- The result payload --------------------------------------------------------


def _value(data: Any, *keys: str) -> str:
    """IDnow wraps values: ``{"firstname": {"value": "Anna", "status": "MATCH"}}``."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    if isinstance(data, dict):
        data = data.get("value")
    return "" if data is None else str(data).strip()


@dataclass(frozen=True)
class IdnowPayload:
    """What Paraph reads of IDnow's result JSON."""

    result: str
    transaction_number: str
    ident_id: str
    company_id: str
    reason: str
    firstname: str
    lastname: str
    birthday: str
    nationality: str
    document_type: str
    document_number: str
    document_country: str
    valid_until: str
    mrz: tuple[str, ...]
    email: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: Any) -> IdnowPayload:
        """Refuses (:class:`IdnowPayloadError`) anything without an
        ``identificationprocess`` naming a known result and a transaction."""
        if not isinstance(data, dict) or not isinstance(data.get("identificationprocess"), dict):
            raise IdnowPayloadError("no identificationprocess in the result")
        process = data["identificationprocess"]
        result = str(process.get("result") or "").strip().upper()
        if result not in IdnowResult.values or result == IdnowResult.CREATED:
            raise IdnowPayloadError(f"unknown result {result[:40]!r}")
        txn = str(process.get("transactionnumber") or "").strip()
        if not txn or len(txn) > 64:
            raise IdnowPayloadError("no transaction number in the result")
        document = data.get("identificationdocument") or {}
        mrz = document.get("mrz") if isinstance(document, dict) else None
        if isinstance(mrz, dict):
            mrz = mrz.get("value")
        if isinstance(mrz, str):
            lines = tuple(line for line in mrz.splitlines() if line.strip())
        elif isinstance(mrz, list):
            lines = tuple(str(line) for line in mrz if str(line).strip())
        else:
            lines = ()
        return cls(
            result=result,
            transaction_number=txn,
            ident_id=str(process.get("id") or "").strip()[:64],
            company_id=str(process.get("companyid") or "").strip(),
            reason=str(process.get("reason") or "").strip()[:200],
            firstname=_value(data, "userdata", "firstname"),
            lastname=_value(data, "userdata", "lastname"),
            birthday=_value(data, "userdata", "birthday"),
            nationality=_value(data, "userdata", "nationality").upper(),
            document_type=_value(document, "type"),
            document_number=_value(document, "number"),
            document_country=_value(document, "country").upper(),
            valid_until=_value(document, "validuntil"),
            mrz=lines,
            email=_value(data, "contactdata", "email"),
            raw=data,
        )


def _without_images(data: Any) -> Any:
    """The result as kept: no attachments, no long blobs (images, PDFs)."""
    if isinstance(data, dict):
        return {
            key: _without_images(value)
            for key, value in data.items()
            if key not in {"attachments", "documents", "images"}
        }
    if isinstance(data, list):
        return [_without_images(value) for value in data]
    if isinstance(data, str) and len(data) > 2000:
        return "[removed: too long]"
    return data


# --- Checks of the document ----------------------------------------------------


@dataclass(frozen=True)
class DocumentCheck:
    """``code`` is empty when every check passed; ``reason`` says which
    check failed and why, in English, for the audit log and staff."""

    ok: bool
    code: str
    reason: str
    data: dict[str, Any]


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _spellings(value: str) -> tuple[str, ...]:
    """A name as written, and spelt out the German and Nordic way (Müller
    -> Mueller), since an MRZ may use either."""
    spelt = value
    for letter, spelling in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("å", "aa"), ("ø", "oe")):
        spelt = spelt.replace(letter, spelling).replace(letter.upper(), spelling.upper())
    return (value, spelt)


def _words(value: str) -> list[str]:
    return [word for word in mrz_transliterate(value).split("<") if word]


def _names_agree(zone_value: str, identified: str, *, truncated: bool, given: bool) -> bool:
    """The MRZ's surname (or given names) against IDnow's, compared the
    way the MRZ writes names (accents dropped, fillers ignored). A full
    name field may have cut the names short; for given names, one list
    may stop early (IDnow's first given name, the MRZ's all of them), but
    the words they share must be the same."""
    zone_words = zone_value.split()
    zone = "".join(zone_words)
    if not zone and not given:
        return False  # a zone without a surname proves nothing
    for spelling in _spellings(identified):
        words = _words(spelling)
        joined = "".join(words)
        if zone == joined or (truncated and joined.startswith(zone)):
            return True
        shortest = min(len(words), len(zone_words))
        if given and shortest and words[:shortest] == zone_words[:shortest]:
            return True
    return False


def _payload_problem(
    payload: IdnowPayload,
    documents: Any,
    doc_type: str,
    birthday: dt.date | None,
    valid_until: dt.date | None,
) -> tuple[str, str] | None:
    """What is missing or refused in IDnow's data itself, as (code, reason)."""
    if not (payload.firstname or payload.lastname) or birthday is None:
        return "incomplete_data", "IDnow returned no name or no valid birth date"
    if not payload.document_country or not payload.document_type:
        return "incomplete_data", "IDnow returned no document type or country"
    if not documents.accepts(payload.document_country, doc_type):
        return (
            "document_not_accepted",
            f"{payload.document_type} from {payload.document_country} is not on the list "
            "of accepted documents",
        )
    if payload.valid_until and valid_until is None:
        return "incomplete_data", f"the expiry date {payload.valid_until[:20]!r} is not a date"
    return None


def _mrz_problem(
    zone: Mrz,
    payload: IdnowPayload,
    birthday: dt.date | None,
    valid_until: dt.date | None,
    today: dt.date,
) -> tuple[str, str] | None:
    """Where the MRZ disagrees with the date, the person or the document
    IDnow identified, as (code, reason)."""
    if zone.expiry_date is not None and zone.expiry_date < today:
        return "document_expired", f"the MRZ says the document expired on {zone.expiry_date}"
    if valid_until and zone.expiry_date and zone.expiry_date != valid_until:
        return (
            "expiry_mismatch",
            f"the MRZ's expiry {zone.expiry_date} differs from IDnow's {valid_until}",
        )
    if not _names_agree(
        zone.surname, payload.lastname, truncated=zone.names_truncated, given=False
    ):
        return "name_mismatch", "the MRZ's surname differs from the identified one"
    if not _names_agree(
        zone.given_names, payload.firstname, truncated=zone.names_truncated, given=True
    ):
        return "name_mismatch", "the MRZ's given names differ from the identified ones"
    if zone.birth_date is not None and zone.birth_date != birthday:
        return (
            "birth_date_mismatch",
            f"the MRZ's birth date {zone.birth_date} differs from the identified {birthday}",
        )
    number = re.sub(r"[^A-Z0-9]", "", payload.document_number.upper())
    if number and number != zone.document_number:
        return "document_number_mismatch", "the MRZ's document number differs from IDnow's"
    return None


def idnow_document_check(payload: IdnowPayload, *, today: dt.date) -> DocumentCheck:
    """Paraph's checks of a successful identification's document, in this
    order: the data needed is there; the document is accepted for its
    country (RG-12); it has not expired; its MRZ, when IDnow returns one,
    passes every ICAO 9303 check digit, has the format of the document's
    type, and agrees with the identified person (surname, given names,
    birth date) and the document (number, expiry)."""
    documents = accepted_documents()
    doc_type = documents.type_from_idnow(payload.document_type) or ""
    data: dict[str, Any] = {
        "type": doc_type or payload.document_type,
        "number": payload.document_number,
        "country": payload.document_country,
        "valid_until": payload.valid_until,
        "mrz": list(payload.mrz),
    }

    def refuse(code: str, reason: str) -> DocumentCheck:
        return DocumentCheck(False, code, reason, data)

    birthday = _date(payload.birthday)
    valid_until = _date(payload.valid_until)
    problem = _payload_problem(payload, documents, doc_type, birthday, valid_until)
    if problem is not None:
        return refuse(*problem)
    zone: Mrz | None = None
    if payload.mrz:
        try:
            zone = mrz_parse(payload.mrz, today=today)
        except MrzError as exc:
            return refuse("mrz_invalid", f"MRZ, {exc.field}: {exc.message}")
        data["mrz_format"] = zone.format
        if zone.format not in documents.mrz_formats.get(doc_type, ()):
            return refuse(
                "mrz_invalid",
                f"a {zone.format} MRZ does not belong to a {doc_type.replace('_', ' ')}",
            )
    expiry = valid_until or (zone.expiry_date if zone else None)
    if expiry is None:
        return refuse("incomplete_data", "neither IDnow nor the MRZ gives an expiry date")
    if expiry < today:
        return refuse("document_expired", f"the document expired on {expiry.isoformat()}")
    if zone is not None:
        problem = _mrz_problem(zone, payload, birthday, valid_until, today)
        if problem is not None:
            return refuse(*problem)
    return DocumentCheck(True, "", "", data)


# --- Documents blocked after a confirmed fraud ------------------------------------

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def idnow_document_key(
    *, country: str, document_type: str, number: str, secret: str | bytes | None = None
) -> str:
    """The keyed hash (HMAC-SHA256 with the secret key, or ``secret``) that
    stands for an identity document: its country, type and number, upper
    case, without spaces or separators. Empty when the number is unknown."""
    parts = [_NOT_ALNUM.sub("", value.upper()) for value in (country, document_type, number)]
    if not parts[2]:
        return ""
    return salted_hmac(
        "paraph.identity.idnow.document", "|".join(parts), secret=secret, algorithm="sha256"
    ).hexdigest()


def _payload_document_key(payload: IdnowPayload, secret: str | bytes | None = None) -> str:
    return idnow_document_key(
        country=payload.document_country,
        document_type=payload.document_type,
        number=payload.document_number,
        secret=secret,
    )


def _document_block(
    identification: IdnowIdentification, payload: IdnowPayload, request: HttpRequest | None
) -> IdnowDocumentBlock | None:
    """Block the document of a confirmed fraud (in the caller's
    transaction): a block lifted before is laid again."""
    key = _payload_document_key(payload)
    if not key:
        return None
    block, created = IdnowDocumentBlock.objects.select_for_update().get_or_create(
        document_key=key,
        defaults={
            "country": payload.document_country[:2],
            "document_type": payload.document_type[:32],
            "identification": identification,
        },
    )
    if not created:
        if block.lifted_at is None:
            return block
        block.lifted_at, block.lifted_by, block.lift_reason = None, None, ""
        block.identification = identification
        block.created_at = timezone.now()
        block.save()
    audit_record(
        name="identity.idnow.document_blocked",
        subject=block,
        data={
            "transaction": identification.transaction_number,
            "country": block.country,
            "document_type": block.document_type,
        },
        context=Context.from_request(request),
    )
    return block


def idnow_document_blocked(payload: IdnowPayload) -> IdnowDocumentBlock | None:
    """The block in force on the payload's document, if any (laid under
    the secret key or one of ``SECRET_KEY_FALLBACKS``)."""
    keys = [
        _payload_document_key(payload, secret)
        for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    ]
    if not keys[0]:
        return None
    return IdnowDocumentBlock.objects.filter(document_key__in=keys, lifted_at__isnull=True).first()


class BlockNotLifted(ValueError):
    """The block was lifted already, or no reason was given."""


def idnow_document_block_lift(
    *, block: IdnowDocumentBlock, actor: Any, reason: str, request: HttpRequest | None = None
) -> IdnowDocumentBlock:
    """Lift a block (staff, once they checked the document and the person
    with the contact centre): the document may be used again. The reason is
    kept with the block and in the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise BlockNotLifted("a reason is needed")
    with transaction.atomic():
        locked = IdnowDocumentBlock.objects.select_for_update().get(pk=block.pk)
        if locked.lifted_at is not None:
            raise BlockNotLifted("the block was lifted already")
        locked.lifted_at = timezone.now()
        locked.lifted_by = actor
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            name="identity.idnow.document_unblocked",
            actor=actor,
            subject=locked,
            data={"reason": reason, "country": locked.country, "refusals": locked.refusals},
            context=Context.from_request(request),
        )
    return locked


# --- Creating an identification -------------------------------------------------


def idnow_transaction_number() -> str:
    """A new transaction number: unguessable, since the person's browser
    carries it and the webhook and the status page look results up by it."""
    return "PRF" + secrets.token_hex(16).upper()


def idnow_identification_create(
    *,
    transaction_number: str,
    ident_id: str,
    country: str,
    document_type: str,
    attempt: RegistrationAttempt | None,
    sandbox: bool,
    request: HttpRequest | None = None,
) -> IdnowIdentification:
    """Record an identification IDnow (or the sandbox) has just created;
    its status is STARTED (the person is on their way to IDnow)."""
    with transaction.atomic():
        identification = IdnowIdentification.objects.create(
            transaction_number=transaction_number,
            registration_attempt=attempt,
            country=country,
            document_type=document_type,
            status=IdnowResult.STARTED,
            result={"identificationprocess": {"id": ident_id}} if ident_id else {},
            sandbox=sandbox,
        )
        audit_record(
            name="identity.idnow.started",
            subject=identification,
            data={
                "transaction": transaction_number,
                "ident_id": ident_id,
                "country": country,
                "document_type": document_type,
                "attempt": str(attempt.pk) if attempt else None,
                "sandbox": sandbox,
            },
            context=Context.from_request(request),
        )
    return identification


def idnow_remember(request: HttpRequest, response: HttpResponse, transaction_number: str) -> None:
    """Let this browser follow the identification: in the session, and in a
    signed cookie for when the session has ended before the result."""
    request.session[SESSION_KEY] = transaction_number
    response.set_signed_cookie(
        cookie_name(),
        transaction_number,
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def cookie_name() -> str:
    return "__Host-paraph_idnow" if settings.SESSION_COOKIE_SECURE else "paraph_idnow"


def idnow_identification_for_request(request: HttpRequest) -> IdnowIdentification | None:
    """The identification this browser follows (session first, then the
    signed cookie), or None."""
    txn = request.session.get(SESSION_KEY)
    if not txn:
        try:
            txn = request.get_signed_cookie(cookie_name(), salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
        except (KeyError, signing.BadSignature):
            return None
    return (
        IdnowIdentification.objects.select_related("registration_attempt")
        .filter(transaction_number=str(txn))
        .first()
    )


# --- The state machine ------------------------------------------------------------


class ApplyOutcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # the same status again
    IGNORED = "ignored"  # older than what is known
    CONFLICT = "conflict"  # another final result after a final one


def idnow_outcome(identification: IdnowIdentification) -> str:
    """ "waiting", "pending", "succeeded", "refused" (a success Paraph's
    checks turned down) or "failed"."""
    status = identification.status
    if status in IDNOW_SUCCESS:
        check = (identification.document or {}).get("check") or {}
        return "succeeded" if check.get("ok") else "refused"
    if status in IDNOW_FAILED:
        return "failed"
    if status in PENDING:
        return "pending"
    return "waiting"


def idnow_refusal(identification: IdnowIdentification) -> tuple[str, str]:
    """(code, message for the person) of a refused or failed identification."""
    if identification.status in IDNOW_FAILED:
        code = identification.status
    else:
        code = ((identification.document or {}).get("check") or {}).get("code") or "mrz_invalid"
    return code, str(REFUSAL_MESSAGES.get(code, REFUSAL_MESSAGES["mrz_invalid"]))


def idnow_result_apply(
    *,
    payload: IdnowPayload,
    source: str,
    request: HttpRequest | None = None,
    today: dt.date | None = None,
) -> ApplyOutcome:
    """Apply one result (``source``: "webhook", "poll" or "sandbox") to its
    identification, under a row lock. Raises
    ``IdnowIdentification.DoesNotExist`` for an unknown transaction."""
    with transaction.atomic():
        identification = IdnowIdentification.objects.select_for_update().get(
            transaction_number=payload.transaction_number
        )
        old, new = identification.status, payload.result
        if new == old:
            return ApplyOutcome.UNCHANGED
        if old in FINAL:
            if new in FINAL:
                audit_record(
                    name="identity.idnow.conflict",
                    subject=identification,
                    data={
                        "transaction": payload.transaction_number,
                        "kept": old,
                        "ignored": new,
                        "source": source,
                    },
                    context=Context.from_request(request),
                )
                logger.warning(
                    "IDnow %s: result %s after the final %s, ignored",
                    payload.transaction_number,
                    new,
                    old,
                )
                return ApplyOutcome.CONFLICT
            return ApplyOutcome.IGNORED
        if _RANK[IdnowResult(new)] < _RANK[IdnowResult(old)]:
            return ApplyOutcome.IGNORED
        identification.status = new
        identification.result = _without_images(payload.raw)
        data: dict[str, Any] = {
            "transaction": payload.transaction_number,
            "ident_id": payload.ident_id,
            "from": old,
            "to": new,
            "source": source,
        }
        if new in IDNOW_SUCCESS:
            check = idnow_document_check(payload, today=today or timezone.localdate())
            block = idnow_document_blocked(payload) if check.ok else None
            if block is not None:
                # A document IDnow found fraudulent before: refused, whatever
                # IDnow says this time (issue 14).
                check = DocumentCheck(
                    False,
                    "document_blocked",
                    "the document is blocked after a confirmed fraud "
                    f"(block {block.pk}, since "
                    f"{timezone.localtime(block.created_at):%Y-%m-%d %H:%M %Z})",
                    check.data,
                )
                IdnowDocumentBlock.objects.filter(pk=block.pk).update(
                    refusals=models.F("refusals") + 1
                )
            identification.document = {
                **check.data,
                "check": {"ok": check.ok, "code": check.code, "reason": check.reason},
            }
            name = "identity.idnow.succeeded" if check.ok else "identity.idnow.refused"
            if not check.ok:
                data.update(code=check.code, reason=check.reason)
        elif new in IDNOW_FAILED:
            name = "identity.idnow.failed"
            data["reason"] = payload.reason
            if new == IdnowResult.FRAUD_SUSPICION_CONFIRMED:
                blocked = _document_block(identification, payload, request)
                data["document_blocked"] = blocked is not None
        else:
            name = "identity.idnow.pending"
        identification.save(update_fields=["status", "result", "document", "updated_at"])
        audit_record(
            name=name, subject=identification, data=data, context=Context.from_request(request)
        )
        if old in PENDING and new in FINAL:
            _notify_decision(identification, payload)
    return ApplyOutcome.APPLIED


def _notify_decision(identification: IdnowIdentification, payload: IdnowPayload) -> None:
    """The person was told "being checked": tell them the decision by
    e-mail, at the address they gave IDnow, in their language."""
    if not payload.email:
        logger.info("IDnow %s decided; no e-mail address to tell", identification.pk)
        return
    attempt = identification.registration_attempt
    language = (attempt.language if attempt else "") or settings.LANGUAGE_CODE
    outcome = idnow_outcome(identification)
    context: dict[str, Any] = {
        "outcome": outcome,
        "status_url": settings.BASE_URL + reverse("identity:idnow_status"),
        "register_url": settings.BASE_URL + reverse("identity:register"),
        "sandbox": identification.sandbox,
    }
    if outcome != "succeeded":
        code, _message = idnow_refusal(identification)
        context["refusal_code"] = code
        context["retry_helps"] = code in RETRY_HELPS
    email_send(
        to=payload.email,
        template="idnow_decided",
        context=context,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    )


# --- The webhook ------------------------------------------------------------------


def idnow_webhook_secret() -> str:
    """The password IDnow's webhook must present. In sandbox mode without
    one configured, a secret derived from the secret key (the sandbox
    IDnow presents it); otherwise empty, and the webhook refuses all."""
    if settings.IDNOW_WEBHOOK_SECRET:
        return str(settings.IDNOW_WEBHOOK_SECRET)
    if settings.IDNOW_SANDBOX_WEBHOOK_SECRET:
        return salted_hmac("paraph.identity.idnow.sandbox-webhook", "v1").hexdigest()
    return ""


def idnow_webhook_authorization(secret: str) -> str:
    """The Authorization header that carries ``secret``."""
    return "Basic " + base64.b64encode(f"{WEBHOOK_USER}:{secret}".encode()).decode()


def idnow_webhook_authorized(authorization: str) -> bool:
    """HTTP Basic with the configured secret as password, compared in
    constant time; anything else (no header, another scheme, no secret
    configured) is refused."""
    secret = idnow_webhook_secret()
    scheme, _sep, value = (authorization or "").partition(" ")
    if not secret or scheme.lower() != "basic" or not value:
        return False
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    _user, sep, password = decoded.partition(":")
    return bool(sep) and hmac.compare_digest(password.encode(), secret.encode())


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    detail: str


def idnow_webhook_receive(
    *, body: bytes, authorization: str, request: HttpRequest | None, source: str = "webhook"
) -> WebhookAnswer:
    """Everything IDnow's webhook does: authenticate, read, apply. The
    sandbox IDnow calls it too (``source="sandbox"``), with its secret.
    401 without the secret (429 after many failures from one address);
    413 for an oversized body; 400 for a result that is not IDnow's or
    names another company; 404 for an unknown transaction; 200 otherwise
    (applied, or a duplicate or outdated result that changed nothing)."""
    if not idnow_webhook_authorized(authorization):
        limit = ratelimit_hit(
            scope="identity.idnow.webhook.ip",
            key=client_ip(request) or "unknown",
            limit=WEBHOOK_FAILURES_PER_IP,
            window_seconds=3600,
        )
        logger.warning("IDnow webhook: refused a request without the secret")
        return WebhookAnswer(401 if limit.allowed else 429, "unauthorized")
    if len(body) > WEBHOOK_MAX_BYTES:
        return WebhookAnswer(413, "too large")
    try:
        payload = IdnowPayload.parse(json.loads(body))
    except (ValueError, IdnowPayloadError) as exc:
        return WebhookAnswer(400, f"not an IDnow result: {exc}"[:200])
    identification = IdnowIdentification.objects.filter(
        transaction_number=payload.transaction_number
    ).first()
    if identification is None:
        return WebhookAnswer(404, "unknown transaction")
    expected_company = (
        SANDBOX_COMPANY_ID if identification.sandbox else str(settings.IDNOW_COMPANY_ID)
    )
    if not hmac.compare_digest(payload.company_id.encode(), expected_company.encode()):
        return WebhookAnswer(400, "the result names another company")
    if identification.sandbox != (source == "sandbox"):
        return WebhookAnswer(
            400, "sandbox identifications take results from the sandbox only, and only they"
        )
    outcome = idnow_result_apply(payload=payload, source=source, request=request)
    return WebhookAnswer(200, outcome.value)
