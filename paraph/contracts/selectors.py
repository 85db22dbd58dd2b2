"""Reads about contracts that the API, the sender back office and the
adminbox share."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from paraph.accounts.models import Person
from paraph.audit.models import AuditEvent
from paraph.audit.selectors import audit_prove
from paraph.contracts.models import (
    SIGNABLE,
    BulkBatch,
    BulkItem,
    Contract,
    ContractEvent,
    RecipientAlias,
)
from paraph.core.belgium import enterprise_number_normalize
from paraph.notifications.models import OutboundMessage


def adminbox_is_active(person: Person) -> bool:
    """Whether the person's adminbox is activated (ES-4): their e-mail
    address and their mobile phone are proven. Until then a new contract's
    e-mail carries an activation link as well (ES-3). The one place that
    decides it: the adminbox may refine it here."""
    return (
        person.is_active
        and person.email_verified_at is not None
        and person.phone_verified_at is not None
    )


def recipient_find(*, email: str) -> Person | None:
    """The person a contract sent to ``email`` reaches: the one who holds it
    as an alias (a merged adminbox, ES-12), else the one whose address it
    is; case does not matter."""
    email = (email or "").strip()
    if not email:
        return None
    alias = RecipientAlias.objects.select_related("person").filter(email__ciexact=email).first()
    if alias is not None:
        return alias.person
    return Person.objects.filter(email__ciexact=email).first()


# --- for a sender -------------------------------------------------------------


def contract_list_for_sender(
    *,
    sender_id: int,
    status: list[str] | None = None,
    external_reference: str = "",
    recipient_email: str = "",
    enterprise_number: str = "",
    created_after: dt.datetime | None = None,
    created_before: dt.datetime | None = None,
    search: str = "",
) -> QuerySet[Contract]:
    """The sender's contracts, newest first, filtered; one query per page
    whatever the number (everything listed is on the contract row)."""
    qs = Contract.objects.filter(sender_id=sender_id)
    if status:
        qs = qs.filter(status__in=status)
    if external_reference:
        qs = qs.filter(external_reference=external_reference)
    if recipient_email:
        qs = qs.filter(recipient_email__iexact=recipient_email.strip())
    if enterprise_number:
        # any printed form; a number that is none matches nothing
        try:
            number = enterprise_number_normalize(enterprise_number)
        except ValidationError:
            number = "-"
        qs = qs.filter(recipient_company_number=number)
    if created_after is not None:
        qs = qs.filter(created_at__gte=created_after)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(external_reference__icontains=term)
            | Q(recipient_email__icontains=term)
            | Q(recipient_last_name__icontains=term)
            | Q(recipient_company_name__icontains=term)
            | Q(recipient_company_number=term.replace(".", "").replace(" ", ""))
            | Q(title__icontains=term)
        )
    return qs.select_related("supersedes", "superseded_by", "signed_by").order_by(
        "-created_at", "-pk"
    )


def _uuid(value: Any, missing: type[Exception]) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise missing from exc


def contract_get_for_sender(*, sender_id: int, public_id: Any) -> Contract:
    """One of the sender's contracts with its history; another sender's
    contract, or an id that is not one, raises ``Contract.DoesNotExist``
    (a 404, never a 403: its existence is not revealed)."""
    return (
        Contract.objects.select_related("sender", "supersedes", "superseded_by", "signed_by")
        .prefetch_related(Prefetch("events", queryset=ContractEvent.objects.order_by("at", "pk")))
        .get(sender_id=sender_id, public_id=_uuid(public_id, Contract.DoesNotExist))
    )


def batch_get_for_sender(*, sender_id: int, public_id: Any) -> BulkBatch:
    return BulkBatch.objects.get(
        sender_id=sender_id, public_id=_uuid(public_id, BulkBatch.DoesNotExist)
    )


def batch_items(*, batch: BulkBatch) -> QuerySet[BulkItem]:
    return batch.items.select_related("contract").order_by("index")


# --- for the recipient (the adminbox) -------------------------------------------


def _addressed(*, person: Person, company_number: str) -> Q:
    """The contracts of the adminbox a person sees: their own, or, acting
    for a company (checked by ``companies.middleware`` on every request),
    the company's only: never both in one list (ADR 35)."""
    if company_number:
        return Q(recipient_company_number=company_number)
    return Q(recipient=person)


def contract_list_for_person(
    *, person: Person, waiting_only: bool = False, company_number: str = ""
) -> QuerySet[Contract]:
    """The person's contracts from every sender (or, with ``company_number``,
    the company's they act for); ``waiting_only``: what still waits for a
    signature (ES-5 "tasks"), soonest deadline first."""
    qs = Contract.objects.filter(
        _addressed(person=person, company_number=company_number)
    ).select_related("sender")
    if waiting_only:
        return qs.filter(status__in=SIGNABLE, deadline__gt=timezone.now()).order_by(
            "deadline", "pk"
        )
    return qs.exclude(status="created").order_by("-created_at", "-pk")


def contract_get_for_person(
    *, person: Person, public_id: Any, company_number: str = ""
) -> Contract:
    """One of the person's contracts (or of the company they act for);
    anyone else's raises DoesNotExist."""
    return Contract.objects.select_related("sender").get(
        _addressed(person=person, company_number=company_number),
        public_id=_uuid(public_id, Contract.DoesNotExist),
    )


# --- evidence ---------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _signer(contract: Contract) -> dict[str, Any]:
    """For a company's contract: for whom, and who signed as what (their
    role at that moment, as the ``signed`` event recorded it)."""
    if not contract.for_company:
        return {}
    signed = next((e for e in contract.events.all() if e.name == "signed"), None)
    data = signed.data if signed is not None else {}
    return {
        "for_company": {
            "enterprise_number": contract.recipient_company_number,
            "name": contract.recipient_company_name,
        },
        "signed_by": data.get("signer"),
    }


def contract_evidence(*, contract: Contract) -> dict[str, Any]:
    """Everything that proves what happened to the contract: the hashes of
    its files, every event (time, actor, IP address, browser), the
    signing method and mandate, the delivery of the e-mails, and the audit
    events with their inclusion proofs in the newest sealed checkpoint of
    the audit log (``audit_proof``: checkable offline, ADR 16)."""
    events = list(contract.events.order_by("at", "pk"))
    message_ids = [e.data["message"] for e in events if isinstance(e.data.get("message"), int)]
    messages = {
        m.pk: m
        for m in OutboundMessage.objects.filter(pk__in=message_ids).only(
            "pk", "status", "sent_at", "channel"
        )
    }
    audit = AuditEvent.objects.filter(
        subject_type=Contract._meta.label_lower, subject_id=str(contract.pk)
    ).order_by("id")
    return {
        "contract": {
            "id": str(contract.public_id),
            "title": contract.title,
            "version": contract.version,
            "supersedes": str(contract.supersedes.public_id) if contract.supersedes else None,
            "status": contract.status,
            "external_reference": contract.external_reference,
            "start_of_work": _iso(contract.start_of_work),
            "signing_deadline": _iso(contract.deadline),
            "created_at": _iso(contract.created_at),
        },
        "sender": {
            "name": contract.sender.name,
            "enterprise_number": contract.sender.enterprise_number_display,
        },
        "recipient_as_sent": {
            "first_name": contract.recipient_first_name,
            "last_name": contract.recipient_last_name,
            "email": contract.recipient_email,
            "phone": contract.recipient_phone,
            "national_number": contract.recipient_national_number,
            "company": {
                "enterprise_number": contract.recipient_company_number,
                "name": contract.recipient_company_name,
            }
            if contract.for_company
            else None,
        },
        "documents": {
            "original": {"sha256": contract.original_sha256, "bytes": contract.original_size},
            "to_sign": {
                "sha256": contract.document_sha256,
                "sealed_by_paraph": contract.sealed,
                "signature_field": contract.signature_field or None,
            },
            "signed": {"sha256": contract.signed_sha256} if contract.signed_sha256 else None,
        },
        "signature": {
            "method": contract.signing_method or None,
            "mandate": contract.mandate_ref,
            "signed_at": _iso(contract.signed_at),
            **_signer(contract),
        },
        "events": [
            {
                "event": e.name,
                "at": _iso(e.at),
                "actor": e.actor_label,
                "ip": e.ip,
                "user_agent": e.user_agent or None,
                "details": e.data,
                **(
                    {
                        "email_delivery": {
                            "status": messages[e.data["message"]].status,
                            "sent_at": _iso(messages[e.data["message"]].sent_at),
                        }
                    }
                    if e.data.get("message") in messages
                    else {}
                ),
            }
            for e in events
        ],
        "audit_chain": [
            {"id": a.pk, "event": a.name, "at": _iso(a.created_at), "hash": a.hash} for a in audit
        ],
        "audit_proof": audit_prove(contract),
        "generated_at": _iso(timezone.now()),
    }
