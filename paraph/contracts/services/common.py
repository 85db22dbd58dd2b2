"""What every change of a contract's state shares: the row locked
(:func:`contract_lock`), the move with its evidence event, audit event and
webhook (:func:`contract_transition`, in the caller's transaction), the
archiving of a contract whose deadline passed, and the marking of a bulk
item in its contract's own transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone, translation

from paraph.accounts.models import Language, Person
from paraph.audit.services import audit_record
from paraph.contracts.inputs import BRUSSELS
from paraph.contracts.models import (
    TRANSITIONS,
    BulkBatch,
    BulkItem,
    BulkItemStatus,
    Contract,
    ContractEvent,
    ContractStatus,
)
from paraph.contracts.services.errors import BulkItemTaken, ContractStateError, FieldError
from paraph.core.belgium import enterprise_number_format
from paraph.core.context import SYSTEM, Context
from paraph.core.moments import utc_iso
from paraph.core.outbox import lease_until
from paraph.notifications.services import email_send
from paraph.senders.models import ApiKey, Sender, WebhookEvent
from paraph.senders.services import webhook_event_emit

# Which webhook a transition sends.
_WEBHOOKS = {
    ContractStatus.SENT: WebhookEvent.CONTRACT_SENT,
    ContractStatus.OPENED: WebhookEvent.CONTRACT_OPENED,
    ContractStatus.SIGNED: WebhookEvent.CONTRACT_SIGNED,
    ContractStatus.REFUSED: WebhookEvent.CONTRACT_REFUSED,
    ContractStatus.NOT_SIGNED: WebhookEvent.CONTRACT_EXPIRED,
    ContractStatus.REVOKED: WebhookEvent.CONTRACT_REVOKED,
}
# The audit event and the evidence event of each transition.
_NAMES = {
    ContractStatus.SENT: ("contracts.contract.sent", "sent"),
    ContractStatus.OPENED: ("contracts.contract.opened", "opened"),
    ContractStatus.SIGNED: ("contracts.contract.signed", "signed"),
    ContractStatus.REFUSED: ("contracts.contract.refused", "refused"),
    ContractStatus.REVOKED: ("contracts.contract.revoked", "revoked"),
    ContractStatus.NOT_SIGNED: ("contracts.contract.expired", "expired"),
    ContractStatus.SUPERSEDED: ("contracts.contract.superseded", "superseded"),
}


# The transitions whose webhook carries the reason given (``data.reason``).
_WEBHOOK_REASONS = frozenset({ContractStatus.REFUSED, ContractStatus.REVOKED})


# --- Who acted, the evidence, the audit, the transition -----------------------------------


def actor_label(actor: Person | None, api_key: ApiKey | None) -> str:
    if actor is not None:
        return str(actor)[:200]
    if api_key is not None:
        return f"API key {api_key.display_prefix} ({api_key.name})"[:200]
    return "Paraph"


def contract_event(
    contract: Contract,
    name: str,
    *,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
    data: dict[str, Any] | None = None,
) -> ContractEvent:
    return ContractEvent.objects.create(
        contract=contract,
        name=name,
        actor=actor,
        actor_label=actor_label(actor, api_key),
        ip=context.ip,
        user_agent=context.user_agent,
        data=data or {},
    )


def contract_audit(
    name: str,
    contract: Contract,
    *,
    actor: Person | None,
    api_key: ApiKey | None,
    context: Context,
    data: dict[str, Any] | None = None,
) -> None:
    audit_record(
        name=name,
        actor=actor,
        subject=contract,
        data={"contract": str(contract.public_id), "sender": contract.sender_id, **(data or {})},
        context=context,
        actor_label=actor_label(actor, api_key) if actor is None else "",
    )


def contract_webhook_data(contract: Contract) -> dict[str, Any]:
    """What a webhook says about a contract (never the documents)."""
    return {
        "contract": {
            "id": str(contract.public_id),
            "status": contract.status,
            "title": contract.title,
            "version": contract.version,
            "external_reference": contract.external_reference,
            "recipient_email": contract.recipient_email,
            "signing_deadline": utc_iso(contract.deadline),
            "signed_at": utc_iso(contract.signed_at),
            "signed_sha256": contract.signed_sha256 or None,
            "signing_method": contract.signing_method or None,
            "company": contract_company_data(contract),
        }
    }


def contract_company_data(contract: Contract) -> dict[str, Any] | None:
    """A company's contract as the API and webhooks show it (ADR 35): the
    company, and once signed who signed for it and as what; None for a
    person's contract."""
    if not contract.for_company:
        return None
    signer = contract.signed_by if contract.signed_by_id else None
    return {
        "enterprise_number": enterprise_number_format(contract.recipient_company_number),
        "name": contract.recipient_company_name,
        "signed_by": {"name": signer.get_full_name(), "role": contract.signer_role}
        if signer is not None
        else None,
    }


def contract_lock(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().select_related("sender").get(pk=contract.pk)


def contract_transition(
    contract: Contract,
    new: str,
    *,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
    data: dict[str, Any] | None = None,
    extra_fields: tuple[str, ...] = (),
) -> Contract:
    """Move a locked ``contract`` to ``new``: the row, one evidence event,
    one audit event and the webhook, in the caller's transaction. Refuses a
    move FLOWS.md does not allow (:class:`ContractStateError`)."""
    old = contract.status
    if new not in TRANSITIONS.get(old, frozenset()):
        raise ContractStateError(
            f"a {old} contract cannot become {new}",
            code="already_signed" if old == ContractStatus.SIGNED else "final",
        )
    now = timezone.now()
    contract.status = new
    contract.status_changed_at = now
    fields = ["status", "status_changed_at", *extra_fields]
    stamp = {
        ContractStatus.SENT: "sent_at",
        ContractStatus.OPENED: "opened_at",
        ContractStatus.SIGNED: "signed_at",
    }.get(ContractStatus(new))
    if stamp:
        setattr(contract, stamp, now)
        fields.append(stamp)
    if new in (
        ContractStatus.SIGNED,
        ContractStatus.REFUSED,
        ContractStatus.REVOKED,
        ContractStatus.NOT_SIGNED,
        ContractStatus.SUPERSEDED,
    ):
        contract.closed_at = now
        fields.append("closed_at")
    contract.save(update_fields=fields)
    audit_name, event_name = _NAMES[ContractStatus(new)]
    details = {"from": old, **(data or {})}
    contract_event(
        contract, event_name, actor=actor, api_key=api_key, context=context, data=details
    )
    contract_audit(
        audit_name, contract, actor=actor, api_key=api_key, context=context, data=details
    )
    webhook = _WEBHOOKS.get(ContractStatus(new))
    if webhook is not None:
        payload = contract_webhook_data(contract)
        if new in _WEBHOOK_REASONS:
            payload["reason"] = details.get("reason", "")
        webhook_event_emit(sender_id=contract.sender_id, event=webhook, data=payload)
    return contract


# --- A deadline that passed ---------------------------------------------------------------


def moment_format(value: dt.datetime, language: str) -> str:
    with translation.override(language):
        local = timezone.localtime(value, BRUSSELS)
        return "{}, {}".format(
            formats.date_format(local, "DATE_FORMAT"), formats.time_format(local, "H:i")
        )


def contract_expire_locked(contract: Contract, *, context: Context = SYSTEM) -> Contract:
    contract_transition(
        contract,
        ContractStatus.NOT_SIGNED,
        context=context,
        data={"deadline": contract.deadline.isoformat()},
    )
    email_send(
        to=contract.sender.contact_email,
        template="contract_not_signed",
        context={
            "sender": contract.sender.name,
            "title": contract.title,
            "recipient": contract.recipient_name,
            "reference": contract.external_reference,
            "contract_id": str(contract.public_id),
            "deadline": moment_format(contract.deadline, sender_language(contract.sender)),
        },
        language=sender_language(contract.sender),
    )
    return contract


def sender_language(sender: Sender) -> str:
    """The language of the messages to a sender's contact address."""
    return sender.language if sender.language in Language.values else settings.LANGUAGE_CODE


# --- Bulk items: taken and done in their contract's transaction ---------------------------


def bulk_item_take(item: BulkItem) -> None:
    """In the caller's transaction: take a pending item (its row stays
    locked until commit), or raise :class:`BulkItemTaken`."""
    taken = BulkItem.objects.filter(pk=item.pk, status=BulkItemStatus.PENDING).update(
        status=BulkItemStatus.FAILED  # set to its outcome by bulk_item_done, same transaction
    )
    if not taken:
        raise BulkItemTaken(f"item {item.index} of batch {item.batch_id} was already processed")


def bulk_item_done(item: BulkItem, *, contract: Contract | None, errors: list[FieldError]) -> None:
    """In the caller's transaction, after :func:`bulk_item_take`: the
    item's outcome, the batch's progress, and a renewed lease."""
    item.status = BulkItemStatus.CREATED if contract else BulkItemStatus.FAILED
    item.contract = contract
    item.errors = [e.as_dict() for e in errors]
    staged = item.pdf.name if item.pdf else ""
    item.pdf = None
    item.save(update_fields=["status", "contract", "errors", "pdf"])
    BulkBatch.objects.filter(pk=item.batch_id).update(
        processed=F("processed") + 1,
        succeeded=F("succeeded") + (1 if contract else 0),
        failed=F("failed") + (0 if contract else 1),
        lease_until=lease_until(settings.WORK_LEASE_SECONDS),
    )
    if staged:
        transaction.on_commit(lambda: default_storage.delete(staged))
