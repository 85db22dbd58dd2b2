"""Nothing lost or stuck after a crash (ADR 22): a message queued while the
queue is down is sent by the sweeper; one whose worker died while sending
is taken up again once the lease ended, with the same Message-ID; a
message is never sent by two live workers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from paraph.audit.models import AuditEvent
from paraph.core.outbox import work_sweep
from paraph.core.tests.queues import run_all
from paraph.notifications.models import OutboundMessage
from paraph.notifications.services import MAX_ATTEMPTS, email_send, message_claim, sms_send
from paraph.notifications.tasks import _deliver, deliver_message

BRUSSELS = ZoneInfo("Europe/Brussels")
T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
LEASE = dt.timedelta(seconds=120)


@pytest.fixture
def clock(time_machine, settings):
    settings.WORK_LEASE_SECONDS = int(LEASE.total_seconds())
    time_machine.move_to(T0, tick=False)
    return time_machine


def _email(person, code="A"):
    return email_send(
        to=person.email, template="test_message", context={"name": code}, language="en"
    )


def test_an_email_queued_while_the_queue_is_down_is_sent_by_the_sweeper(
    db, person, deliver, clock, unreachable_queue
):
    with deliver():
        message = _email(person)  # the enqueue fails after commit: no error here

    assert unreachable_queue.refused == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.sealed_context  # the row alone is enough to send it
    unreachable_queue.reachable = True

    # Not before a lease: its task may still be waiting in a long queue.
    assert work_sweep()["messages"] == 0
    clock.shift(LEASE + dt.timedelta(seconds=1))
    assert work_sweep()["messages"] == 1
    assert run_all(unreachable_queue, deliver) == ["sent"]

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sealed_context) == ("sent", 1, "")
    assert work_sweep()["messages"] == 0


def test_a_message_whose_worker_died_while_sending_is_sent_again_with_its_message_id(
    db, person, deliver, clock, kept_tasks
):
    with deliver():
        message = _email(person, code="B")
    (first_task,) = kept_tasks.results
    # A worker claims it, hands it to the SMTP server, and is killed before
    # it could record that it was sent.
    claimed = message_claim(message_id=message.pk)
    assert claimed is not None
    _deliver(claimed, {"name": "B"})
    assert len(mail.outbox) == 1
    kept_tasks.clear()

    # While its lease runs, nobody else sends it: not a second task, not the sweeper.
    assert deliver_message.call(*first_task.args) == "skipped"
    clock.shift(LEASE - dt.timedelta(seconds=1))
    assert work_sweep()["messages"] == 0

    clock.shift(dt.timedelta(seconds=2))
    assert work_sweep()["messages"] == 1
    assert run_all(kept_tasks, deliver) == ["sent"]

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    # Sent twice (the first copy had left): the same Message-ID both times.
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"] == message.message_id_header
    assert work_sweep()["messages"] == 0


def test_a_message_whose_worker_died_before_sending_is_sent_once(
    db, person, deliver, clock, kept_tasks
):
    with deliver():
        message = _email(person)
    kept_tasks.clear()
    assert message_claim(message_id=message.pk) is not None  # and the worker dies

    clock.shift(LEASE + dt.timedelta(seconds=1))
    work_sweep()
    assert run_all(kept_tasks, deliver) == ["sent"]

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


def test_a_message_whose_worker_died_on_its_last_attempt_is_given_up(
    db, person, deliver, clock, kept_tasks
):
    with deliver():
        message = _email(person)
    kept_tasks.clear()
    OutboundMessage.objects.filter(pk=message.pk).update(attempts=MAX_ATTEMPTS - 1)
    assert message_claim(message_id=message.pk) is not None  # and the worker dies

    clock.shift(LEASE + dt.timedelta(seconds=1))
    assert work_sweep()["messages"] == 0

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.sealed_context, "kept, so the back office can requeue it (ADR 25)"
    assert "stopped while sending" in message.error
    assert AuditEvent.objects.filter(name="notifications.message.failed").count() == 1
    assert mail.outbox == []


def test_an_sms_carries_the_same_reference_at_every_attempt(
    db, person, deliver, clock, kept_tasks, http_gateway, settings
):
    settings.SMS_GATEWAY = "http"
    settings.SMS_HTTP_URL = http_gateway.url
    with deliver():
        message = sms_send(
            to=person.phone,
            template="test_code",
            context={"code": "771205"},
            language="fr",
            person=person,
            purpose="login_code",
        )
    kept_tasks.clear()
    claimed = message_claim(message_id=message.pk)
    assert claimed is not None
    _deliver(claimed, {"code": "771205"})  # and the worker dies

    clock.shift(LEASE + dt.timedelta(seconds=1))
    work_sweep()
    assert run_all(kept_tasks, deliver) == ["sent"]

    first, second = http_gateway.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.headers["Idempotency-Key"].startswith(f"paraph-sms-{message.pk}-")
