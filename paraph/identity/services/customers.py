"""The customer file: a record created or updated from an import, one
record at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from paraph.accounts.models import (
    Person,
)
from paraph.audit.services import audit_record
from paraph.identity.matching import (
    reference_normalize,
)
from paraph.identity.models import (
    ClientReference,
    CustomerRecord,
)

# --- The customer file ------------------------------------------------------


@dataclass
class CustomerData:
    """One customer as the import reads it (already validated)."""

    external_id: str
    last_name: str
    first_name: str = ""
    national_number: str = ""
    birth_date: dt.date | None = None
    street: str = ""
    house_number: str = ""
    box: str = ""
    postal_code: str = ""
    municipality: str = ""
    country: str = "BE"
    references: tuple[str, ...] = ()


_CUSTOMER_FIELDS = (
    "last_name",
    "first_name",
    "national_number",
    "birth_date",
    "street",
    "house_number",
    "box",
    "postal_code",
    "municipality",
    "country",
)


def customer_record_upsert(*, data: CustomerData) -> tuple[CustomerRecord, str]:
    """Create or update one customer and set its client references to
    exactly ``data.references``; returns the record and ``"created"``,
    ``"updated"`` or ``"unchanged"``. Refuses, with ``ValueError``, a
    reference that belongs to another customer. Records no audit event:
    the caller (the import, the demo data) records one for the batch."""
    digits = {reference_normalize(ref): ref for ref in data.references}
    clash = (
        ClientReference.objects.filter(digits__in=list(digits))
        .exclude(customer__external_id=data.external_id)
        .select_related("customer")
        .first()
    )
    if clash is not None:
        raise ValueError(
            f"client reference {clash.reference} belongs to customer {clash.customer.external_id}"
        )
    with transaction.atomic():
        record = (
            CustomerRecord.objects.select_for_update().filter(external_id=data.external_id).first()
        )
        outcome = "unchanged"
        if record is None:
            record = CustomerRecord(external_id=data.external_id)
            outcome = "created"
        changed = [f for f in _CUSTOMER_FIELDS if getattr(record, f) != getattr(data, f)]
        for name in changed:
            setattr(record, name, getattr(data, name))
        if outcome == "created" or changed:
            record.save()
            outcome = outcome if outcome == "created" else "updated"
        existing = {ref.digits: ref for ref in record.references.all()}
        for gone in set(existing) - set(digits):
            existing[gone].delete()
            outcome = "updated" if outcome == "unchanged" else outcome
        for new in set(digits) - set(existing):
            ClientReference.objects.create(customer=record, reference=digits[new])
            outcome = "updated" if outcome == "unchanged" else outcome
    return record, outcome


def customers_import_record(
    *, counts: dict[str, int], rejected: list[str], source: str, actor: Person | None = None
) -> None:
    """One audit event for one import of the customer file."""
    with transaction.atomic():
        audit_record(
            name="identity.customers.imported",
            actor=actor,
            actor_label="" if actor else "paraph import-customers",
            data={"source": source[:200], **counts, "rejected_lines": rejected[:100]},
        )
