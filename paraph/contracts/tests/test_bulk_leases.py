"""A bulk send survives its worker (ADR 22): a batch "running" whose worker
died is resumed once its lease ended, and no contract is ever made twice;
a batch whose task could not be enqueued is started by the sweeper."""

from __future__ import annotations

import datetime as dt

import pytest

from paraph.contracts.inputs import ContractIn
from paraph.contracts.models import BulkBatch, BulkItem, Contract
from paraph.contracts.services import (
    BulkEntry,
    BulkItemTaken,
    ContractData,
    batch_create,
    batch_process,
    contract_create,
)
from paraph.contracts.tests.fixtures import contract_fields
from paraph.core.outbox import work_sweep
from paraph.core.tests.queues import run_all
from paraph.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db
LEASE = dt.timedelta(seconds=120)


@pytest.fixture
def lease(settings):
    settings.WORK_LEASE_SECONDS = int(LEASE.total_seconds())


def _entries(pdf, count):
    return [
        BulkEntry(data=contract_fields(recipient={"email": f"r{i}@example.be"}), pdf=pdf)
        for i in range(count)
    ]


def _die_after(monkeypatch, contracts):
    """The worker is killed (here: an exception nobody catches) once
    ``contracts`` contracts of the batch were made and committed."""
    from paraph.contracts.services import batches

    real = batches.batch_item_process
    calls: list[BulkItem] = []

    def item_process(batch, item):
        if len(calls) == contracts:
            raise SystemExit("killed")
        calls.append(item)
        real(batch, item)

    monkeypatch.setattr(batches, "batch_item_process", item_process)


def test_a_batch_whose_worker_died_is_resumed_after_its_lease_without_duplicates(
    sender, pdf, clock, lease, monkeypatch, kept_queue, deliver
):
    with deliver():
        batch = batch_create(sender=sender, entries=_entries(pdf, 5), source="api")
    kept_queue.clear()
    _die_after(monkeypatch, 2)
    with pytest.raises(SystemExit):
        batch_process(batch_id=batch.pk)
    monkeypatch.undo()

    batch.refresh_from_db()
    assert (batch.status, batch.processed) == ("running", 2)
    # Its lease runs: a second task, or the sweeper, leaves it alone.
    assert batch_process(batch_id=batch.pk) is None
    clock.shift(LEASE - dt.timedelta(seconds=1))
    assert work_sweep()["batches"] == 0

    clock.shift(dt.timedelta(seconds=2))
    assert work_sweep()["batches"] == 1
    run_all(kept_queue, deliver)

    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.succeeded) == ("done", 5, 5)
    assert batch.lease_until is None
    emails = sorted(Contract.objects.filter(batch=batch).values_list("recipient_email", flat=True))
    assert emails == [f"r{i}@example.be" for i in range(5)]  # each exactly once
    assert OutboundMessage.objects.count() == 5  # one invitation each
    assert work_sweep()["batches"] == 0


def test_an_item_already_made_is_never_made_again(sender, pdf, clock, lease):
    batch = batch_create(sender=sender, entries=_entries(pdf, 1), source="api")
    item = BulkItem.objects.get(batch=batch)
    data = ContractData.from_input(ContractIn.model_validate(item.data))
    contract_create(sender=sender, data=data, pdf=pdf, batch=batch, bulk_item=item)

    # A second worker, whose copy of the item is stale, tries again.
    with pytest.raises(BulkItemTaken):
        contract_create(sender=sender, data=data, pdf=pdf, batch=batch, bulk_item=item)

    assert Contract.objects.count() == 1
    batch.refresh_from_db()
    assert (batch.processed, batch.succeeded) == (1, 1)


def test_a_batch_whose_task_could_not_be_enqueued_is_started_by_the_sweeper(
    sender, pdf, clock, lease, unreachable_queue, deliver
):
    with deliver():
        batch = batch_create(sender=sender, entries=_entries(pdf, 2), source="api")

    assert unreachable_queue.refused == 1
    batch.refresh_from_db()
    assert batch.status == "pending"
    unreachable_queue.reachable = True
    clock.shift(LEASE + dt.timedelta(seconds=1))
    assert work_sweep()["batches"] == 1
    run_all(unreachable_queue, deliver)

    batch.refresh_from_db()
    assert (batch.status, batch.succeeded) == ("done", 2)
    assert BulkBatch.objects.get().status == "done"
