"""What the API answers: contracts, their history, batches, webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from ninja import Schema
from pydantic import Field

from paraph.contracts.models import BulkBatch, BulkItem, Contract, ContractEvent
from paraph.contracts.services import contract_company_data
from paraph.senders.models import WebhookDelivery, WebhookEndpoint


class RecipientOut(Schema):
    first_name: str
    last_name: str
    email: str


class CompanySignerOut(Schema):
    name: str
    role: str = Field(description="`representative` or `user` (a user allowed to sign).")


class CompanyOut(Schema):
    """A company the contract is addressed to (ADR 35)."""

    enterprise_number: str = Field(description="Printed as 0123.456.749.")
    name: str
    email: str = Field(description="The address the contract was announced to.")
    signed_by: CompanySignerOut | None = Field(
        description="Who signed for the company, and as what, once signed."
    )


class DocumentsOut(Schema):
    original_sha256: str
    document_sha256: str = Field(description="The document to sign (sealed by Paraph).")
    sealed: bool
    signed_sha256: str | None


class LinksOut(Schema):
    self: str
    document_pdf: str
    signed_pdf: str | None
    evidence: str


class EventOut(Schema):
    event: str
    at: datetime
    actor: str
    reason: str | None = Field(
        default=None,
        description="The reason given with a refusal (`refused`) or a revocation (`revoked`).",
    )


class ContractOut(Schema):
    id: str
    status: str
    title: str
    version: int
    external_reference: str
    recipient: RecipientOut | None = Field(description="The person; null for a company.")
    company: CompanyOut | None = Field(description="The company; null for a person.")
    start_of_work: datetime
    signing_deadline: datetime
    created_at: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    signed_at: datetime | None
    closed_at: datetime | None
    supersedes: str | None
    superseded_by: str | None
    signing_method: str | None
    mandate: str | None
    documents: DocumentsOut
    links: LinksOut


class ContractDetailOut(ContractOut):
    history: list[EventOut]


class ContractPageOut(Schema):
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None
    results: list[ContractOut]


class RevokeIn(Schema):
    reason: str = Field(default="", max_length=1000)


class BatchIn(Schema):
    contracts: list[dict[str, Any]] = Field(
        description="Contracts as for POST /api/contracts (JSON, with pdf_base64).",
        min_length=1,
    )


class BatchItemOut(Schema):
    index: int
    status: str
    contract_id: str | None
    errors: list[dict[str, str]]


class BatchOut(Schema):
    id: str
    status: str
    total: int
    processed: int
    succeeded: int
    failed: int
    created_at: datetime
    finished_at: datetime | None
    items: list[BatchItemOut] | None = None


class WebhookIn(Schema):
    url: str
    events: list[str]
    description: str = ""


class WebhookOut(Schema):
    id: str
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime


class DeliveryOut(Schema):
    id: str
    event: str
    event_id: str
    status: str
    attempts: int
    response_status: int | None
    error: str
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    replay_of: str | None


def _url(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def _company(contract: Contract) -> dict[str, Any] | None:
    data = contract_company_data(contract)
    return None if data is None else {**data, "email": contract.recipient_email}


def contract_out(contract: Contract, *, with_history: bool = False) -> dict[str, Any]:
    """A contract as the API shows it (``supersedes`` and ``superseded_by``
    must be selected with it, ``events`` prefetched for the history)."""
    base = f"/api/contracts/{contract.public_id}"
    try:
        successor = contract.superseded_by
    except Contract.DoesNotExist:
        successor = None
    data: dict[str, Any] = {
        "id": str(contract.public_id),
        "status": contract.status,
        "title": contract.title,
        "version": contract.version,
        "external_reference": contract.external_reference,
        "recipient": None
        if contract.for_company
        else {
            "first_name": contract.recipient_first_name,
            "last_name": contract.recipient_last_name,
            "email": contract.recipient_email,
        },
        "company": _company(contract),
        "start_of_work": contract.start_of_work,
        "signing_deadline": contract.deadline,
        "created_at": contract.created_at,
        "sent_at": contract.sent_at,
        "opened_at": contract.opened_at,
        "signed_at": contract.signed_at,
        "closed_at": contract.closed_at,
        "supersedes": str(contract.supersedes.public_id) if contract.supersedes else None,
        "superseded_by": str(successor.public_id) if successor else None,
        "signing_method": contract.signing_method or None,
        "mandate": contract.mandate_ref,
        "documents": {
            "original_sha256": contract.original_sha256,
            "document_sha256": contract.document_sha256,
            "sealed": contract.sealed,
            "signed_sha256": contract.signed_sha256 or None,
        },
        "links": {
            "self": _url(base),
            "document_pdf": _url(f"{base}/document.pdf"),
            "signed_pdf": _url(f"{base}/signed.pdf") if contract.signed_sha256 else None,
            "evidence": _url(f"{base}/evidence"),
        },
    }
    if with_history:
        events: list[ContractEvent] = list(contract.events.all())
        data["history"] = [
            {
                "event": e.name,
                "at": e.at,
                "actor": e.actor_label,
                "reason": e.reason if e.name in ("refused", "revoked") else None,
            }
            for e in events
        ]
    return data


def batch_out(batch: BulkBatch, items: list[BulkItem] | None = None) -> dict[str, Any]:
    return {
        "id": str(batch.public_id),
        "status": batch.status,
        "total": batch.total,
        "processed": batch.processed,
        "succeeded": batch.succeeded,
        "failed": batch.failed,
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
        "items": None
        if items is None
        else [
            {
                "index": item.index,
                "status": item.status,
                "contract_id": str(item.contract.public_id) if item.contract else None,
                "errors": item.errors,
            }
            for item in items
        ],
    }


def webhook_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": str(endpoint.public_id),
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "active": endpoint.is_active,
        "created_at": endpoint.created_at,
    }


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": str(delivery.public_id),
        "event": delivery.event,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_status": delivery.response_status,
        "error": delivery.error,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "next_attempt_at": delivery.next_attempt_at,
        "replay_of": str(delivery.replay_of.public_id) if delivery.replay_of else None,
    }
