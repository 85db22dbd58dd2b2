"""Bulk sends: many contracts in one request, created by a task, and
their progress."""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from ninja import Router

from paraph.api.common import (
    api_key_scoped,
    idempotent,
    json_response,
)
from paraph.api.problems import Problem
from paraph.api.schemas import (
    BatchIn,
    BatchOut,
    batch_out,
)
from paraph.contracts.selectors import (
    batch_get_for_sender,
    batch_items,
)
from paraph.contracts.services import (
    BulkEntry,
    ContractInvalid,
    batch_create,
    pdf_from_base64,
)
from paraph.core.context import Context
from paraph.senders.models import ApiScope

router = Router()


@router.post("/batches", response={202: BatchOut}, summary="Send many contracts", tags=["batches"])
def batches_create(request: HttpRequest, payload: BatchIn) -> HttpResponse:
    """Up to `CONTRACT_BULK_MAX` contracts (each as for POST /api/contracts,
    JSON with `pdf_base64`), created by a task; answers 202 at once with the
    batch, whose progress is at its `Location`. A refused contract does not
    stop the others: its errors are in the batch's `items`. Needs
    `contracts:write`; honours `Idempotency-Key`."""
    key = api_key_scoped(request, ApiScope.CONTRACTS_WRITE)
    entries = []
    digest = hashlib.sha256()
    for item in payload.contracts:
        data = dict(item)
        encoded = data.pop("pdf_base64", None)
        pdf, error = None, ""
        if not isinstance(encoded, str) or not encoded:
            error = "pdf_base64 is missing."
        else:
            try:
                pdf = pdf_from_base64(encoded)
            except ContractInvalid:
                error = "pdf_base64 is not valid base64."
        entries.append(BulkEntry(data=data, pdf=pdf, pdf_error=error))
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
        digest.update(hashlib.sha256(pdf or b"").digest())
    fingerprint = hashlib.sha256(f"{request.path}\n{digest.hexdigest()}".encode()).hexdigest()

    def make() -> HttpResponse:
        batch = batch_create(
            sender=key.sender,
            entries=entries,
            source="api",
            api_key=key,
            context=Context.from_request(request),
        )
        batch.refresh_from_db()
        return json_response(
            batch_out(batch), status=202, headers={"Location": f"/api/batches/{batch.public_id}"}
        )

    return idempotent(request, key, fingerprint, make)


@router.get(
    "/batches/{batch_id}", response=BatchOut, summary="A bulk send's progress", tags=["batches"]
)
def batches_get(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Progress (`processed` of `total`), and per contract its id or its
    errors. Needs `contracts:read`."""
    key = api_key_scoped(request, ApiScope.CONTRACTS_READ)
    try:
        batch = batch_get_for_sender(sender_id=key.sender_id, public_id=batch_id)
    except ObjectDoesNotExist:
        raise Problem(404, "not_found", "No batch with this id.") from None
    return json_response(batch_out(batch, list(batch_items(batch=batch))))
