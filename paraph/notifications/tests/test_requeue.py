"""Outgoing messages on the back office's page of outgoing work
(/backoffice/outgoing/): status, attempts and last error, filters, and a
"requeue" that only Operators have, audited, that sends once however
often it is used. E-mail goes to a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.utils import timezone

from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.core.context import SYSTEM
from paraph.notifications.models import OutboundMessage
from paraph.notifications.services import email_send

pytestmark = pytest.mark.django_db

PAGE = "/backoffice/outgoing/"


def _smtp(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=5,
    )


@pytest.fixture
def failed_message(person, deliver) -> OutboundMessage:
    """An e-mail given up: the SMTP server did not answer (the test settings'
    task backend cannot defer a retry, so the first failure is the last)."""
    from paraph.notifications.tests.conftest import free_port

    with _smtp(free_port()), deliver():
        message = email_send(
            to=person.email, template="test_message", context={"name": "Anne"}, language="en"
        )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    return message


@pytest.fixture
def operator(client, person_factory):
    staff = person_factory(is_staff=True, first_name="Operator", language="en")
    staff.groups.add(Group.objects.get(name="Operators"))
    return staff_login(client, staff)


def _requeue(client, *messages: OutboundMessage):
    return client.post(
        PAGE,
        {"row": [f"message:{m.pk}" for m in messages]},
        follow=True,
    )


def test_the_page_lists_messages_with_status_attempts_and_last_error(
    operator, failed_message, person
):
    email_send(to="waiting@example.be", template="test_message", context={}, language="en")

    page = operator.get(PAGE).content.decode()
    assert person.email in page and "waiting@example.be" in page
    assert "ConnectionRefusedError" in page  # the last error
    assert "Requeue the ticked ones" in page
    failed_only = operator.get(PAGE, {"status": "failed"}).content.decode()
    assert person.email in failed_only and "waiting@example.be" not in failed_only


def test_an_operator_requeues_a_failed_message_and_it_is_sent_once(
    operator, failed_message, smtp_server, deliver
):
    with _smtp(smtp_server.port):
        with deliver():
            response = _requeue(operator, failed_message)
        with deliver():
            again = _requeue(operator, failed_message)  # a second click, or a second operator

    assert response.status_code == 200
    assert "Requeued: 1" in response.content.decode()
    assert "Already delivered: 1" in again.content.decode()
    assert len(smtp_server.received) == 1
    failed_message.refresh_from_db()
    assert failed_message.status == OutboundMessage.Status.SENT
    assert failed_message.attempts == 2
    event = AuditEvent.objects.get(name="notifications.message.requeued")
    assert event.actor_id == response.wsgi_request.user.pk
    assert event.data["was"] == "failed"


def test_requeueing_twice_before_the_worker_ran_sends_once(
    operator, failed_message, smtp_server, kept_tasks, deliver
):
    with deliver():
        first = _requeue(operator, failed_message)
    with deliver():
        second = _requeue(operator, failed_message)

    assert "Requeued: 1" in first.content.decode()
    assert "Already waiting or being sent: 1" in second.content.decode()
    assert AuditEvent.objects.filter(name="notifications.message.requeued").count() == 1
    with _smtp(smtp_server.port):
        outcomes = [r.task.call(*r.args) for r in kept_tasks.results]
    assert outcomes == ["sent"]
    assert len(smtp_server.received) == 1


def test_a_stuck_message_is_woken_up(operator, person, kept_tasks, smtp_server, deliver):
    message = email_send(
        to=person.email, template="test_message", context={"name": "C"}, language="en"
    )
    kept_tasks.clear()  # its task was lost (the queue was down)
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )

    with deliver():
        response = _requeue(operator, message)

    assert "Woken up again: 1" in response.content.decode()
    with _smtp(smtp_server.port):
        assert [r.task.call(*r.args) for r in kept_tasks.results] == ["sent"]
    assert len(smtp_server.received) == 1
    assert AuditEvent.objects.get(name="notifications.message.requeued").data["was"] == "queued"


def test_a_log_in_code_given_up_is_not_sent_again(operator, person, deliver):
    from paraph.accounts.models import CodeChannel, CodePurpose
    from paraph.accounts.services import code_issue
    from paraph.notifications.tests.conftest import free_port

    with _smtp(free_port()), deliver():
        code_issue(
            purpose=CodePurpose.LOGIN,
            channel=CodeChannel.EMAIL,
            destination=person.email,
            person=person,
            language="en",
            context=SYSTEM,
        )
    message = OutboundMessage.objects.get()
    assert message.status == OutboundMessage.Status.FAILED

    response = _requeue(operator, message)

    assert "Cannot be sent again: 1" in response.content.decode()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert not AuditEvent.objects.filter(name="notifications.message.requeued").exists()


def test_staff_without_the_operators_role_cannot_requeue(
    client, person_factory, failed_message, smtp_server, deliver
):
    agent = make_agent(person_factory, language="en")
    agent.user_permissions.add(
        *Group.objects.get(name="Operators").permissions.filter(codename="view_outboundmessage")
    )
    staff_login(client, agent)

    page = client.get(PAGE)
    assert page.status_code == 200  # they may read the list...
    assert "Requeue the ticked ones" not in page.content.decode()
    with _smtp(smtp_server.port), deliver():
        _requeue(client, failed_message)  # ...but the action is not theirs

    failed_message.refresh_from_db()
    assert failed_message.status == OutboundMessage.Status.FAILED
    assert smtp_server.received == []
    assert not AuditEvent.objects.filter(name="notifications.message.requeued").exists()


def test_staff_without_any_role_do_not_see_the_page(client, person_factory, failed_message):
    staff_login(client, person_factory(is_staff=True, language="en"))

    assert client.get(PAGE).status_code == 403
