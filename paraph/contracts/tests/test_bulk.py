"""Bulk sends: many contracts made by a task, each refused one reported
with its own errors without stopping the others."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from paraph.contracts.models import BulkBatch, BulkItem, Contract
from paraph.contracts.services import BulkEntry, ContractInvalid, batch_create, batch_process
from paraph.contracts.tests.fixtures import contract_fields

pytestmark = pytest.mark.django_db


def _entries(pdf):
    return [
        BulkEntry(data=contract_fields(recipient={"email": "one@example.be"}), pdf=pdf),
        BulkEntry(data=contract_fields(recipient={"email": "bad address"}), pdf=pdf),
        BulkEntry(data=contract_fields(recipient={"email": "three@example.be"}), pdf=b"not a pdf"),
        BulkEntry(
            data=contract_fields(recipient={"email": "four@example.be"}),
            pdf=None,
            pdf_error="The zip has no file named 'four.pdf'.",
        ),
        BulkEntry(data={"title": "only a title"}, pdf=pdf),
        BulkEntry(data=contract_fields(recipient={"email": "six@example.be"}), pdf=pdf),
    ]


def test_a_batch_makes_the_good_contracts_and_explains_the_others(
    sender, staff, pdf, clock, deliver
):
    with deliver():
        batch = batch_create(sender=sender, entries=_entries(pdf), source="csv", actor=staff)

    batch.refresh_from_db()
    assert (batch.status, batch.total, batch.processed) == ("done", 6, 6)
    assert (batch.succeeded, batch.failed) == (2, 4)
    items = {i.index: i for i in BulkItem.objects.filter(batch=batch)}
    first, sixth = items[0].contract, items[5].contract
    assert first is not None and sixth is not None, "the good entries made contracts"
    assert first.recipient_email == "one@example.be"
    assert first.created_by == staff and first.batch == batch
    assert [e["field"] for e in items[1].errors] == ["recipient.email"]
    assert [(e["field"], e["code"]) for e in items[2].errors] == [("pdf", "not_pdf")]
    assert [(e["field"], e["code"]) for e in items[3].errors] == [("pdf", "missing")]
    assert {e["field"] for e in items[4].errors} == {"recipient", "start_of_work"}
    assert sixth.status == "sent"
    assert Contract.objects.filter(batch=batch).count() == 2
    # The staged PDFs are gone once used.
    assert all(not i.pdf for i in items.values())
    _dirs, staged = default_storage.listdir(f"bulk/{batch.public_id}")
    assert staged == []


def test_a_finished_batch_is_not_processed_again(sender, pdf, clock, deliver):
    with deliver():
        batch = batch_create(sender=sender, entries=_entries(pdf)[:1], source="api")

    assert batch_process(batch_id=batch.pk) is None
    assert Contract.objects.count() == 1


def test_an_interrupted_batch_continues_where_it_stopped(sender, pdf, clock):
    # Without deliver(): the task never ran, as if the worker stopped first.
    batch = batch_create(sender=sender, entries=_entries(pdf)[:2], source="api")
    # Its worker's lease ended (more: test_bulk_leases.py).
    BulkBatch.objects.filter(pk=batch.pk).update(
        status="running", lease_until=timezone.now() - dt.timedelta(seconds=1)
    )

    batch_process(batch_id=batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.succeeded) == ("done", 2, 1)


def test_an_empty_or_oversized_batch_is_refused(sender, pdf, settings):
    with pytest.raises(ContractInvalid):
        batch_create(sender=sender, entries=[], source="api")
    settings.CONTRACT_BULK_MAX = 2
    with pytest.raises(ContractInvalid) as refused:
        batch_create(sender=sender, entries=_entries(pdf), source="api")
    assert refused.value.errors[0].code == "too_many"
    assert not BulkBatch.objects.exists()
