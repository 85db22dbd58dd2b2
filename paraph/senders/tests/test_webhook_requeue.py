"""Webhook deliveries on the back office's page of outgoing work
(/backoffice/outgoing/): status, attempts and last error, filters, and a
"requeue" that only Operators have, audited, that posts once
however often it is used. The receiver is a real HTTP server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.senders.models import DeliveryStatus, WebhookDelivery
from paraph.senders.services import webhook_endpoint_create, webhook_endpoint_ping
from paraph.senders.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

PAGE = "/backoffice/outgoing/"


@pytest.fixture
def receiver(sender):
    server = Receiver(secret=sender.webhook_secret).start()
    yield server
    server.stop()


@pytest.fixture
def failed_delivery(sender, receiver) -> WebhookDelivery:
    """A delivery given up after its six attempts (the receiver answered 500)."""
    endpoint = webhook_endpoint_create(
        sender=sender, url=receiver.url, events=["contract.sent"], actor=None
    )
    delivery = webhook_endpoint_ping(endpoint=endpoint, actor=None)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, error="HTTP 500", response_status=500
    )
    delivery.refresh_from_db()
    return delivery


@pytest.fixture
def operator(client, person_factory):
    staff = person_factory(is_staff=True, first_name="Operator", language="en")
    staff.groups.add(Group.objects.get(name="Operators"))
    return staff_login(client, staff)


def _requeue(client, delivery: WebhookDelivery):
    return client.post(PAGE, {"row": [f"webhook:{delivery.pk}"]}, follow=True)


def test_the_page_lists_deliveries_with_their_last_error_and_filters(operator, failed_delivery):
    page = operator.get(PAGE).content.decode()
    assert "HTTP 500" in page and "Requeue the ticked ones" in page
    assert "HTTP 500" not in operator.get(PAGE, {"status": "done"}).content.decode()


def test_an_operator_requeues_a_failed_delivery_and_it_is_posted_once(
    operator, failed_delivery, receiver, deliver
):
    with deliver():
        response = _requeue(operator, failed_delivery)
    with deliver():
        again = _requeue(operator, failed_delivery)

    assert "Requeued: 1" in response.content.decode()
    assert "Already delivered: 1" in again.content.decode()
    assert len(receiver.received) == 1
    assert receiver.received[0].signature_valid  # signed as any delivery
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == DeliveryStatus.SUCCEEDED
    event = AuditEvent.objects.get(name="senders.webhook.requeued")
    assert event.actor_id == response.wsgi_request.user.pk
    assert event.data["was"] == "failed"


def test_a_delivery_whose_worker_died_is_woken_up(operator, failed_delivery, receiver, deliver):
    WebhookDelivery.objects.filter(pk=failed_delivery.pk).update(
        status=DeliveryStatus.DELIVERING, last_attempt_at=timezone.now() - dt.timedelta(hours=1)
    )

    with deliver():
        response = _requeue(operator, failed_delivery)

    assert "Woken up again: 1" in response.content.decode()
    assert len(receiver.received) == 1


def test_staff_without_the_operators_role_cannot_requeue(
    client, person_factory, failed_delivery, receiver, deliver
):
    agent = make_agent(person_factory, language="en")
    agent.user_permissions.add(
        *Group.objects.get(name="Operators").permissions.filter(codename="view_webhookdelivery")
    )
    staff_login(client, agent)

    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Requeue the ticked ones" not in page.content.decode()
    with deliver():
        _requeue(client, failed_delivery)

    failed_delivery.refresh_from_db()
    assert failed_delivery.status == DeliveryStatus.FAILED
    assert receiver.received == []
    assert not AuditEvent.objects.filter(name="senders.webhook.requeued").exists()
