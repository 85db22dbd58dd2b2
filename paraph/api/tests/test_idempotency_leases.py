"""An Idempotency-Key whose request died (ADR 22): it answers 409 while
the request's lease runs, then the next request with the key takes over.
What the dead request had already created is answered, never made twice.
A queue that cannot be reached never turns a creation into an error."""

from __future__ import annotations

import datetime as dt

import pytest

from paraph.api.models import IdempotencyKey
from paraph.contracts.models import BulkBatch, Contract
from paraph.contracts.tests.fixtures import contract_json
from paraph.core.outbox import work_sweep
from paraph.core.tests.queues import run_all
from paraph.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db
LEASE = dt.timedelta(seconds=120)


@pytest.fixture
def lease(settings):
    settings.WORK_LEASE_SECONDS = int(LEASE.total_seconds())


def _create(api, body, key="order-42"):
    return api.post(
        "/api/contracts", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def _killed(**kwargs):
    raise SystemExit("killed")


def _kill(monkeypatch, where):
    """The web process dies at ``where`` (SystemExit, which Django does not
    catch); after a SIGKILL nothing runs, so the key is not released either."""
    monkeypatch.setattr(where, _killed)
    monkeypatch.setattr("paraph.api.common.idempotency_release", lambda **kwargs: None)


def _killed_after_commit(monkeypatch):
    """Killed once the creation committed, before its answer was kept."""
    _kill(monkeypatch, "paraph.api.common.idempotency_finish")


def test_a_key_whose_request_died_before_creating_is_taken_over_after_the_lease(
    api, pdf, clock, lease, monkeypatch
):
    body = contract_json(pdf)
    _kill(monkeypatch, "paraph.api.routers.contracts.contract_create")
    with pytest.raises(SystemExit):
        _create(api, body)
    monkeypatch.undo()
    assert IdempotencyKey.objects.get().response_status is None

    clock.shift(LEASE - dt.timedelta(seconds=1))
    assert _create(api, body).status_code == 409
    clock.shift(dt.timedelta(seconds=2))
    taken_over = _create(api, body)

    assert taken_over.status_code == 201
    assert Contract.objects.count() == 1
    again = _create(api, body)
    assert again.json() == taken_over.json() and again["Idempotent-Replayed"] == "true"


def test_a_key_whose_request_died_after_creating_answers_with_that_contract(
    api, pdf, clock, lease, monkeypatch
):
    body = contract_json(pdf)
    _killed_after_commit(monkeypatch)
    with pytest.raises(SystemExit):
        _create(api, body)
    monkeypatch.undo()
    made = Contract.objects.get()
    row = IdempotencyKey.objects.get()
    assert (row.response_status, row.resource_id) == (None, str(made.public_id))

    assert _create(api, body).status_code == 409
    clock.shift(LEASE + dt.timedelta(seconds=1))
    retried = _create(api, body)

    assert retried.status_code == 201
    assert retried.json()["id"] == str(made.public_id)
    assert retried["Location"] == f"/api/contracts/{made.public_id}"
    assert Contract.objects.count() == 1  # never twice
    assert OutboundMessage.objects.count() == 1  # one invitation
    assert _create(api, body).json() == retried.json()


def test_a_batch_whose_request_died_after_creating_is_answered_once(
    api, pdf, clock, lease, monkeypatch, settings
):
    body = {"contracts": [contract_json(pdf)]}
    _killed_after_commit(monkeypatch)
    with pytest.raises(SystemExit):
        api.post("/api/batches", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="b")
    monkeypatch.undo()
    clock.shift(LEASE + dt.timedelta(seconds=1))

    retried = api.post(
        "/api/batches", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="b"
    )

    assert retried.status_code == 202
    (batch,) = BulkBatch.objects.all()
    assert retried.json()["id"] == str(batch.public_id)


def test_a_contract_created_while_the_queue_is_down_is_a_201_and_its_mail_leaves_later(
    api, pdf, clock, lease, unreachable_queue, deliver
):
    with deliver():
        created = _create(api, contract_json(pdf))

    assert created.status_code == 201
    assert unreachable_queue.refused >= 1
    (message,) = OutboundMessage.objects.all()
    assert message.status == "queued"

    unreachable_queue.reachable = True
    clock.shift(LEASE + dt.timedelta(seconds=1))
    work_sweep()
    run_all(unreachable_queue, deliver)
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_batch_sent_while_the_queue_is_down_is_a_202_and_runs_later(
    api, pdf, clock, lease, unreachable_queue, deliver
):
    with deliver():
        answer = api.post(
            "/api/batches",
            {"contracts": [contract_json(pdf), contract_json(pdf, recipient={"email": "b@x.be"})]},
            content_type="application/json",
        )

    assert answer.status_code == 202
    unreachable_queue.reachable = True
    clock.shift(LEASE + dt.timedelta(seconds=1))
    assert work_sweep()["batches"] == 1
    run_all(unreachable_queue, deliver)
    assert api.get(answer["Location"]).json()["status"] == "done"
    assert Contract.objects.count() == 2


def test_the_sweeper_forgets_keys_older_than_24_hours(api, pdf, clock):
    _create(api, contract_json(pdf))
    clock.shift(dt.timedelta(hours=24, seconds=1))

    assert work_sweep()["idempotency_keys"] == 1
    assert not IdempotencyKey.objects.exists()
