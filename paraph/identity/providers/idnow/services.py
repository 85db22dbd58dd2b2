"""IDnow identifications: their creation, the result state machine, the
blocks of documents found fraudulent, and the authenticated webhook (the
checks of the identity document are in ``checks``).

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
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity.models import (
    IDNOW_FAILED,
    IDNOW_SUCCESS,
    IdnowDocumentBlock,
    IdnowIdentification,
    IdnowResult,
    RegistrationAttempt,
)
from paraph.identity.providers.idnow.checks import (
    REFUSAL_MESSAGES,
    RETRY_HELPS,
    DocumentCheck,
    IdnowPayload,
    IdnowPayloadError,
    idnow_document_check,
    payload_document_key,
    without_images,
)
from paraph.notifications.services import email_send

logger = logging.getLogger(__name__)

# The company id the sandbox IDnow writes into its results.
SANDBOX_COMPANY_ID = "paraph-sandbox"
# The webhook's Basic user name (only the password is checked).
WEBHOOK_USER = "idnow"
WEBHOOK_MAX_BYTES = 1_000_000
WEBHOOK_FAILURES_PER_IP = 30

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


def _document_block(
    identification: IdnowIdentification, payload: IdnowPayload, context: Context
) -> IdnowDocumentBlock | None:
    """Block the document of a confirmed fraud (in the caller's
    transaction): a block lifted before is laid again."""
    key = payload_document_key(payload)
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
        context=context,
    )
    return block


def idnow_document_blocked(payload: IdnowPayload) -> IdnowDocumentBlock | None:
    """The block in force on the payload's document, if any (laid under
    the secret key or one of ``SECRET_KEY_FALLBACKS``)."""
    keys = [
        payload_document_key(payload, secret)
        for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    ]
    if not keys[0]:
        return None
    return IdnowDocumentBlock.objects.filter(document_key__in=keys, lifted_at__isnull=True).first()


class BlockNotLifted(ValueError):
    """The block was lifted already, or no reason was given."""


def idnow_document_block_lift(
    *, block: IdnowDocumentBlock, reason: str, context: Context
) -> IdnowDocumentBlock:
    """Lift a block (staff, the context's actor, once they checked the
    document and the person with the contact centre): the document may be
    used again. The reason is kept with the block and in the audit log."""
    actor = context.actor
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
            context=context,
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
    context: Context = SYSTEM,
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
            context=context,
        )
    return identification


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
    context: Context = SYSTEM,
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
                    context=context,
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
        identification.result = without_images(payload.raw)
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
                blocked = _document_block(identification, payload, context)
                data["document_blocked"] = blocked is not None
        else:
            name = "identity.idnow.pending"
        identification.save(update_fields=["status", "result", "document", "updated_at"])
        audit_record(name=name, subject=identification, data=data, context=context)
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
    values: dict[str, Any] = {
        "outcome": outcome,
        "status_url": settings.BASE_URL + reverse("identity:idnow_status"),
        "register_url": settings.BASE_URL + reverse("identity:register"),
        "sandbox": identification.sandbox,
    }
    if outcome != "succeeded":
        code, _message = idnow_refusal(identification)
        values["refusal_code"] = code
        values["retry_helps"] = code in RETRY_HELPS
    email_send(
        to=payload.email,
        template="idnow_decided",
        context=values,
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
    *, body: bytes, authorization: str, context: Context, source: str = "webhook"
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
            key=context.ip or "unknown",
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
    outcome = idnow_result_apply(payload=payload, source=source, context=context)
    return WebhookAnswer(200, outcome.value)
