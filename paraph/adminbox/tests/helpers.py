"""Helpers for the adminbox's tests (not a test module)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.forms.models import model_to_dict

from paraph.contracts.models import Contract

_SKIP = {"id", "public_id", "supersedes", "batch", "created_by", "api_key"}


def copies(contract: Contract, count: int, **fields: Any) -> list[Contract]:
    """``count`` more contracts like ``contract`` (the same files), written
    with ``bulk_create``: many documents without sealing each one. A
    callable field value is called with the copy's number."""
    base = {k: v for k, v in model_to_dict(contract).items() if k not in _SKIP}
    base.update(
        sender_id=contract.sender_id,
        recipient_id=contract.recipient_id,
        original_pdf=contract.original_pdf.name,
        document_pdf=contract.document_pdf.name,
        signed_pdf=contract.signed_pdf.name if contract.signed_pdf else "",
    )
    base.pop("sender", None)
    base.pop("recipient", None)
    rows = []
    for n in range(count):
        values = dict(base)
        for name, value in fields.items():
            values[name] = value(n) if callable(value) else value
        rows.append(Contract(public_id=uuid.uuid4(), **values))
    return Contract.objects.bulk_create(rows)


def hours(n: int) -> dt.timedelta:
    return dt.timedelta(hours=n)
