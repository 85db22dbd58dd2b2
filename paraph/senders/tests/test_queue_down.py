"""A sender's page while the task queue (Redis) cannot be reached: the
contract is sent and the page says so; its e-mail and webhook wait in the
database, and the sweeper sends them once the queue is back (ADR 22)."""

from __future__ import annotations

import datetime as dt

import pytest

from paraph.contracts.models import Contract
from paraph.core.outbox import work_sweep
from paraph.core.tests.queues import run_all
from paraph.notifications.models import OutboundMessage
from paraph.senders.models import WebhookDelivery
from paraph.senders.services import webhook_endpoint_create
from paraph.senders.tests.test_backoffice import _contract_form, office  # noqa: F401


@pytest.mark.django_db(transaction=True)  # real commits: the enqueue runs inside the request
def test_a_contract_sent_while_the_queue_is_down_is_sent_and_its_mail_leaves_later(
    office,  # noqa: F811
    pdf,
    clock,
    sender,
    unreachable_queue,
    deliver,
    settings,
    monkeypatch,
):
    settings.WORK_LEASE_SECONDS = 120
    # An address that passes the URL check; it is never called here.
    monkeypatch.setattr("paraph.senders.services.endpoints.webhook_url_clean", lambda url: url)
    webhook_endpoint_create(
        sender=sender, url="https://hooks.example.be/paraph", events=["contract.sent"], actor=None
    )

    response = office.post("/sender/contracts/new/", _contract_form(pdf))

    contract = Contract.objects.get()
    assert response.status_code == 302  # not "Nothing was changed"
    assert response["Location"] == f"/sender/contracts/{contract.public_id}/"
    assert contract.status == "sent"
    assert unreachable_queue.refused >= 2  # the e-mail and the webhook
    (message,) = OutboundMessage.objects.all()
    assert message.status == "queued"
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.status == "pending"

    unreachable_queue.reachable = True
    clock.shift(dt.timedelta(seconds=121))
    counts = work_sweep()
    assert (counts["messages"], counts["webhooks"]) == (1, 1)
    tasks = sorted(r.task.name for r in unreachable_queue.results)
    assert tasks == ["deliver_message", "webhook_deliver"]
    unreachable_queue.results[:] = [
        r for r in unreachable_queue.results if r.task.name == "deliver_message"
    ]
    run_all(unreachable_queue, deliver)
    message.refresh_from_db()
    assert message.status == "sent"
