"""A bulk send is shared by the workers that are free (issue 12): each takes
the batch's contracts a chunk at a time, every contract is made exactly
once, and the batch is finished once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from paraph.audit.models import AuditEvent
from paraph.contracts.models import BulkBatch, Contract
from paraph.contracts.services import BulkEntry, batch_create, batch_process
from paraph.contracts.tests.fixtures import contract_fields

COUNT = 12


def _entries(pdf: bytes) -> list[BulkEntry]:
    # new people, all with the fixture's phone: two workers creating two of
    # them at once race for it (the second keeps the contract's phone only)
    return [
        BulkEntry(data=contract_fields(recipient={"email": f"r{i}@example.be"}), pdf=pdf)
        for i in range(COUNT)
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_a_batch_and_make_each_contract_once(
    sender, pdf, settings, kept_queue, monkeypatch
):
    settings.BATCH_CHUNK = 2
    settings.BATCH_PARALLELISM = 2
    batch = batch_create(sender=sender, entries=_entries(pdf), source="api")
    # one task per worker that may share it
    assert len(kept_queue.results) == 2

    from paraph.contracts.services import batches

    made_by: dict[int, str] = {}
    real = batches.batch_item_process

    def item_process(batch: Any, item: Any) -> None:
        made_by[item.index] = threading.current_thread().name
        real(batch, item)

    monkeypatch.setattr(batches, "batch_item_process", item_process)
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(batch_process(batch_id=batch.pk))
        except BaseException as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    batch = BulkBatch.objects.get(pk=batch.pk)
    assert (batch.status, batch.processed, batch.succeeded) == ("done", COUNT, COUNT)
    contracts = Contract.objects.filter(batch=batch)
    assert contracts.count() == COUNT
    made = batch.items.order_by("contract_id").values_list("contract_id", flat=True)
    assert list(made) == list(contracts.order_by("pk").values_list("pk", flat=True))
    assert sorted(made_by) == list(range(COUNT)), "each item taken by one worker"
    assert set(made_by.values()) == {"worker-1", "worker-2"}, made_by
    finished = AuditEvent.objects.filter(name="contracts.batch.finished")
    assert finished.count() == 1
