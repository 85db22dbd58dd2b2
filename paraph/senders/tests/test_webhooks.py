"""Webhooks, delivered to a real HTTP server on 127.0.0.1: signed payloads
the receiver can check, retries with back-off, a time-out, a delivery log
that can be replayed, and a dead endpoint that blocks nothing."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from paraph.audit.models import AuditEvent
from paraph.contracts.services import contract_open
from paraph.senders.models import WebhookDelivery
from paraph.senders.services import (
    WEBHOOK_RETRY_DELAYS,
    SenderError,
    webhook_deliveries_retry_due,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_ping,
    webhook_endpoint_set_active,
    webhook_secret_rotate,
)
from paraph.senders.signatures import signature_header, signature_verify
from paraph.senders.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    "contract.sent",
    "contract.opened",
    "contract.signed",
    "contract.refused",
    "contract.expired",
    "contract.revoked",
]


@pytest.fixture
def receiver(sender):
    server = Receiver(secret=sender.webhook_secret).start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(sender, receiver):
    return webhook_endpoint_create(sender=sender, url=receiver.url, events=ALL_EVENTS, actor=None)


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody-listens"


def test_contract_events_arrive_signed_and_the_receiver_can_check_them(
    endpoint, receiver, make_contract, deliver
):
    with deliver():
        contract = make_contract()
    with deliver():
        contract_open(contract=contract, person=contract.recipient)

    assert [r.payload["type"] for r in receiver.received] == ["contract.sent", "contract.opened"]
    first = receiver.received[0]
    assert first.signature_valid
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["Paraph-Event"] == "contract.sent"
    data = first.payload["data"]["contract"]
    assert data["id"] == str(contract.public_id)
    assert data["external_reference"] == "W-2026-001"
    assert first.payload["id"].startswith("evt_")
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk")
    assert [d.status for d in deliveries] == ["succeeded", "succeeded"]
    assert all(d.response_status == 200 and d.attempts == 1 for d in deliveries)


def test_a_changed_body_or_another_secret_fails_the_check(
    endpoint, receiver, make_contract, deliver
):
    with deliver():
        make_contract()
    received = receiver.received[0]
    header = received.headers["Paraph-Signature"]

    assert signature_verify(secret=receiver.secret, header=header, body=received.body)
    assert not signature_verify(secret=receiver.secret, header=header, body=received.body + b" ")
    assert not signature_verify(secret="whsec_other", header=header, body=received.body)


def test_an_old_signature_is_refused_by_the_receiver():
    header = signature_header(secret="s", body=b"{}", timestamp=1_000_000)
    assert not signature_verify(secret="s", header=header, body=b"{}", now=1_000_000 + 301)
    assert signature_verify(secret="s", header=header, body=b"{}", now=1_000_000 + 299)


def test_only_subscribed_events_are_sent(sender, receiver, make_contract, deliver):
    webhook_endpoint_create(sender=sender, url=receiver.url, events=["contract.signed"], actor=None)

    with deliver():
        make_contract()

    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_failing_endpoint_is_retried_with_back_off_then_given_up(
    endpoint, receiver, make_contract, deliver, clock
):
    receiver.status = 500
    with deliver():
        make_contract()
    delivery = WebhookDelivery.objects.get()
    start = delivery.last_attempt_at
    assert start is not None

    for attempt, delay in enumerate(WEBHOOK_RETRY_DELAYS, start=1):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("retrying", attempt)
        assert delivery.error == "HTTP 500"
        assert delivery.next_attempt_at == start + delay
        clock.move_to(delivery.next_attempt_at - dt.timedelta(seconds=1))
        assert webhook_deliveries_retry_due() == 0
        clock.move_to(delivery.next_attempt_at)
        start = delivery.next_attempt_at
        with deliver():
            assert webhook_deliveries_retry_due() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 6)
    assert delivery.next_attempt_at is None
    assert len(receiver.received) == 6
    assert AuditEvent.objects.filter(name="senders.webhook.failed").count() == 1


def test_an_endpoint_that_recovers_gets_the_event_on_the_next_try(
    endpoint, receiver, make_contract, deliver, clock
):
    receiver.status = 503
    with deliver():
        make_contract()
    receiver.status = 204
    clock.shift(WEBHOOK_RETRY_DELAYS[0])
    with deliver():
        webhook_deliveries_retry_due()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 2, 204)


def test_an_endpoint_that_does_not_answer_in_time_is_retried(
    sender, make_contract, deliver, settings, clock
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    slow = Receiver(secret=sender.webhook_secret, delay=3).start()
    try:
        webhook_endpoint_create(sender=sender, url=slow.url, events=ALL_EVENTS, actor=None)
        with deliver():
            make_contract()
    finally:
        slow.stop()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "retrying"
    assert "no answer within 0.5 s" in delivery.error
    assert delivery.duration_ms is not None and delivery.duration_ms < 2500
    assert delivery.last_attempt_at is not None
    assert delivery.next_attempt_at == delivery.last_attempt_at + WEBHOOK_RETRY_DELAYS[0]


def test_a_dead_endpoint_blocks_nothing(sender, make_contract, deliver):
    webhook_endpoint_create(sender=sender, url=_dead_url(), events=ALL_EVENTS, actor=None)

    with deliver():
        contract = make_contract()

    contract.refresh_from_db()
    assert contract.status == "sent"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "retrying" and "ConnectError" in delivery.error


def test_a_delivery_can_be_replayed_with_the_same_event_id(
    endpoint, receiver, make_contract, deliver, staff
):
    with deliver():
        make_contract()
    original = WebhookDelivery.objects.get()

    with deliver():
        replay = webhook_delivery_replay(delivery=original, actor=staff)

    replay.refresh_from_db()
    assert replay.replay_of == original and replay.status == "succeeded"
    assert [r.payload["id"] for r in receiver.received] == [original.event_id] * 2
    assert receiver.received[1].body == receiver.received[0].body
    assert receiver.received[1].signature_valid
    assert AuditEvent.objects.filter(name="senders.webhook.replayed", actor=staff).count() == 1


def test_a_disabled_endpoint_receives_nothing_and_cannot_replay(
    endpoint, receiver, make_contract, deliver, staff
):
    with deliver():
        make_contract()
    webhook_endpoint_set_active(endpoint=endpoint, active=False, actor=staff)
    with deliver():
        make_contract(recipient={"email": "second@example.be"})

    assert len(receiver.received) == 1
    with pytest.raises(SenderError):
        webhook_delivery_replay(delivery=WebhookDelivery.objects.get(), actor=staff)


def test_a_ping_reaches_the_endpoint(endpoint, receiver, deliver, staff):
    with deliver():
        webhook_endpoint_ping(endpoint=endpoint, actor=staff)

    (ping,) = receiver.received
    assert ping.payload["type"] == "ping" and ping.signature_valid


def test_a_rotated_secret_signs_the_next_deliveries(
    sender, endpoint, receiver, make_contract, deliver
):
    new_secret = webhook_secret_rotate(sender=sender, actor=None)
    with deliver():
        make_contract()

    assert not receiver.received[0].signature_valid  # the receiver still has the old one
    assert signature_verify(
        secret=new_secret,
        header=receiver.received[0].headers["Paraph-Signature"],
        body=receiver.received[0].body,
    )


def test_outside_sandbox_only_public_https_addresses_are_accepted(sender, settings):
    settings.WEBHOOK_ALLOW_LOCAL_ENDPOINTS = False
    for url, code in [
        ("http://hr.example.be/hook", "https"),
        ("https://127.0.0.1/hook", "private"),
        ("https://10.1.2.3/hook", "private"),
        ("https://localhost/hook", "private"),
        ("https://100.100.100.200/latest/meta-data", "private"),  # RFC 6598, cloud metadata
        ("https://169.254.169.254/hook", "private"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://192.0.2.10/hook", "private"),  # documentation
        ("https://user:pw@hr.example.be/hook", "credentials"),
        ("not a url", "invalid"),
    ]:
        with pytest.raises(ValidationError) as refused:
            webhook_endpoint_create(sender=sender, url=url, events=ALL_EVENTS, actor=None)
        assert refused.value.error_dict["url"][0].code == code, url
    ok = webhook_endpoint_create(
        sender=sender, url="https://hr.example.be/hook", events=ALL_EVENTS, actor=None
    )
    assert ok.pk


def test_the_retry_command_sends_what_is_due(
    endpoint, receiver, make_contract, deliver, clock, capsys
):
    receiver.status = 500
    with deliver():
        make_contract()
    receiver.status = 200
    clock.shift(WEBHOOK_RETRY_DELAYS[0])

    with deliver():
        call_command("webhooks-retry")

    assert "1 webhook delivery(ies) queued" in capsys.readouterr().out
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_outside_sandbox_a_delivery_goes_to_the_address_it_checked(
    sender, receiver, make_contract, deliver, settings, monkeypatch
):
    """The host is resolved once, checked, and connected to by address: a
    second DNS answer (rebinding to an internal address) is never used."""
    import paraph.senders.services.endpoints as services

    port = receiver.url.split(":")[2].split("/")[0]
    endpoint = webhook_endpoint_create(
        sender=sender, url=f"http://hooks.example.be:{port}/paraph", events=ALL_EVENTS, actor=None
    )
    real_getaddrinfo = socket.getaddrinfo
    answers = []

    def dns(host, *args, **kwargs):
        if host == "hooks.example.be":
            answers.append(host)
            if len(answers) > 1:
                raise OSError("a second answer would point inside the network")
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    # 127.0.0.1 stands for a public address here (the receiver listens there)
    monkeypatch.setattr(services, "_is_private", lambda address: address != "127.0.0.1")

    with deliver():
        make_contract()
        settings.WEBHOOK_ALLOW_LOCAL_ENDPOINTS = False  # for the delivery, after the commit

    assert answers == ["hooks.example.be"], "resolved once"
    assert [r.payload["type"] for r in receiver.received] == ["contract.sent"]
    assert receiver.received[0].headers["Host"] == f"hooks.example.be:{port}"
    assert WebhookDelivery.objects.get(endpoint=endpoint).status == "succeeded"


def test_outside_sandbox_a_host_that_now_resolves_inside_is_not_called(
    sender, receiver, make_contract, deliver, settings, monkeypatch
):
    port = receiver.url.split(":")[2].split("/")[0]
    webhook_endpoint_create(
        sender=sender, url=f"http://hooks.example.be:{port}/paraph", events=ALL_EVENTS, actor=None
    )
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: real_getaddrinfo(
            "100.100.100.200" if host == "hooks.example.be" else host, *a, **k
        ),
    )

    with deliver():
        make_contract()
        settings.WEBHOOK_ALLOW_LOCAL_ENDPOINTS = False  # for the delivery, after the commit

    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert "private network" in delivery.error


def test_every_event_gives_its_moments_in_utc_as_the_api_does(
    endpoint, receiver, make_contract, deliver
):
    with deliver():
        contract = make_contract()  # its deadline was given in Brussels time
    with deliver():
        contract_open(contract=contract, person=contract.recipient)

    deadlines = [r.payload["data"]["contract"]["signing_deadline"] for r in receiver.received]
    assert len(deadlines) == 2 and deadlines[0] == deadlines[1], deadlines
    assert deadlines[0].endswith("Z")


def test_local_webhook_endpoints_are_refused_in_production(monkeypatch):
    """``PARAPH_WEBHOOK_ALLOW_LOCAL_ENDPOINTS`` lets a sandbox reach a test
    receiver on this machine; a production start with it refuses to run."""
    import subprocess
    import sys

    environment = {
        "PARAPH_PRODUCTION": "true",
        "PARAPH_WEBHOOK_ALLOW_LOCAL_ENDPOINTS": "true",
        "DJANGO_SETTINGS_MODULE": "paraph.settings",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "PARAPH_WEBHOOK_ALLOW_LOCAL_ENDPOINTS must be false in production" in done.stderr
