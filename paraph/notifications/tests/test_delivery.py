"""Queueing and delivering messages: what is kept, retries, at most once, RG-7."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from paraph.audit.models import AuditEvent
from paraph.notifications.models import OutboundMessage, SandboxMessage
from paraph.notifications.services import SmsNotAllowed, email_send, sms_send
from paraph.notifications.tasks import deliver_message
from paraph.notifications.tests.conftest import free_port

BRUSSELS = ZoneInfo("Europe/Brussels")
T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)


def _failed_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(name="notifications.message.failed"))


# --- What is kept -------------------------------------------------------------


def test_an_ordinary_email_is_delivered_and_its_copy_kept(db, person, deliver):
    with deliver():
        message = email_send(
            to=person.email,
            template="test_message",
            context={"name": "Anne"},
            language="en",
            person=person,
        )

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.subject == sent.subject == "Test message for Anne"
    assert message.body_text == sent.body
    assert "Hello Anne," in message.body_text


def test_nothing_leaves_before_the_callers_transaction_commits(db, person, deliver):
    with deliver():
        email_send(to=person.email, template="test_message", context={"name": "A"}, language="en")
        assert mail.outbox == []
    assert len(mail.outbox) == 1


def test_a_secret_email_keeps_its_subject_but_never_its_body(db, person, deliver):
    link = "https://paraph.example/activate/tok-7f3a9c1e"
    with deliver():
        message = email_send(
            to=person.email,
            template="test_message",
            context={"name": "Anne", "link": link},
            language="en",
            person=person,
            secret=True,
        )

    assert link in mail.outbox[0].body  # the person did receive it
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.subject == "Test message for Anne"
    assert message.body_text == ""
    assert link not in str(OutboundMessage.objects.filter(pk=message.pk).values().get())


def test_an_ordinary_sms_keeps_its_text(db, person_factory, deliver, sandbox_sms):
    person = person_factory(consent_phone_other_uses=True)
    with deliver():
        message = sms_send(
            to=person.phone,
            template="test_message",
            context={"name": "Anne"},
            language="en",
            person=person,
        )

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.body_text == "Paraph: hello Anne, this is a test message."
    assert message.provider_id.startswith("sandbox-")
    assert SandboxMessage.objects.get().body_text == message.body_text


def test_a_log_in_code_sms_is_secret_even_if_the_caller_forgets(db, person, deliver, sandbox_sms):
    with deliver():
        message = sms_send(
            to=person.phone,
            template="test_code",
            context={"code": "482913"},
            language="en",
            person=person,
            purpose="login_code",
        )

    assert "482913" in SandboxMessage.objects.get(to=person.phone).body_text
    message.refresh_from_db()
    assert message.secret is True
    assert message.status == OutboundMessage.Status.SENT
    assert "482913" not in str(OutboundMessage.objects.filter(pk=message.pk).values().get())


def test_an_unknown_language_is_refused_and_nothing_queued(db, person):
    with pytest.raises(ValueError, match="language"):
        email_send(to=person.email, template="test_message", context={}, language="es")
    assert not OutboundMessage.objects.exists()


def test_the_queue_never_holds_a_code_in_clear(db, person, deliver, kept_tasks):
    with deliver():
        sms_send(
            to=person.phone,
            template="test_code",
            context={"code": "771205"},
            language="fr",
            person=person,
            purpose="login_code",
        )
    (result,) = kept_tasks.results
    assert "771205" not in repr(result.args)


# --- At most once ---------------------------------------------------------------


def test_a_task_that_runs_twice_sends_once(db, person, deliver, kept_tasks):
    with deliver():
        message = email_send(
            to=person.email, template="test_message", context={"name": "A"}, language="fr"
        )
    (result,) = kept_tasks.results

    with deliver():
        first = deliver_message.call(*result.args)
    with deliver():
        second = deliver_message.call(*result.args)

    assert (first, second) == ("sent", "skipped")
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_a_message_in_another_workers_hands_is_left_alone(db, person, deliver, kept_tasks):
    with deliver():
        message = email_send(
            to=person.email, template="test_message", context={"name": "A"}, language="fr"
        )
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.SENDING)

    assert deliver_message.call(*kept_tasks.results[0].args) == "skipped"
    assert mail.outbox == []


# --- Retries with back-off, then give up --------------------------------------------


def test_a_failing_smtp_server_is_retried_after_1_5_30_minutes_then_given_up(
    db, person, deliver, kept_tasks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2

    with time_machine.travel(T0, tick=False), deliver():
        message = email_send(
            to=person.email, template="test_message", context={"name": "A"}, language="fr"
        )
    now = T0
    expected_delays = [1, 5, 30]
    for attempt, minutes in enumerate(expected_delays, start=1):
        with time_machine.travel(now, tick=False), deliver():
            outcome = deliver_message.call(*kept_tasks.results[-1].args)
        assert outcome == "retry"
        retry = kept_tasks.results[-1]
        assert retry.task.run_after == now + dt.timedelta(minutes=minutes)
        message.refresh_from_db()
        assert message.status == OutboundMessage.Status.QUEUED
        assert message.attempts == attempt
        assert message.next_attempt_at == retry.task.run_after
        assert "ConnectionRefusedError" in message.error
        assert _failed_events() == []
        now = retry.task.run_after

    with time_machine.travel(now, tick=False), deliver():
        assert deliver_message.call(*kept_tasks.results[-1].args) == "failed"

    assert len(kept_tasks.results) == 4  # the first task and three retries, no more
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.attempts == 4
    assert message.next_attempt_at is None
    (event,) = _failed_events()
    assert event.subject_id == str(message.pk)
    assert event.data["attempts"] == 4
    assert event.data["channel"] == "email"


def test_a_retry_that_succeeds_delivers_the_message(
    db, person, deliver, kept_tasks, settings, smtp_server
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    with deliver():
        message = email_send(
            to=person.email, template="test_message", context={"name": "A"}, language="fr"
        )
    with deliver():
        assert deliver_message.call(*kept_tasks.results[-1].args) == "retry"

    settings.EMAIL_PORT = smtp_server.port  # the server is back
    with deliver():
        assert deliver_message.call(*kept_tasks.results[-1].args) == "sent"

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 2
    assert message.error == ""
    assert len(smtp_server.received) == 1


def test_without_a_backend_that_can_wait_a_failure_is_given_up_at_once(
    db, person, deliver, settings
):
    # The test settings run tasks immediately; that backend cannot defer.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    with deliver():
        message = email_send(
            to=person.email, template="test_message", context={"name": "A"}, language="fr"
        )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert len(_failed_events()) == 1


def test_a_broken_template_is_given_up_without_retry(db, person, deliver, kept_tasks):
    with deliver():
        message = email_send(
            to=person.email, template="no_such_template", context={}, language="fr"
        )
    with deliver(), pytest.raises(Exception, match="no_such_template"):
        deliver_message.call(*kept_tasks.results[0].args)

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.error == "TemplateDoesNotExist"
    assert len(kept_tasks.results) == 1
    assert len(_failed_events()) == 1


# --- RG-7: the phone is for log-in codes, and more only with consent -------------------


def test_a_notification_sms_without_consent_is_refused(db, person):
    assert person.consent_phone_other_uses is False
    with pytest.raises(SmsNotAllowed, match="RG-7"):
        sms_send(
            to=person.phone,
            template="test_message",
            context={"name": "A"},
            language="fr",
            person=person,
        )
    assert not OutboundMessage.objects.exists()


def test_a_notification_sms_with_consent_is_sent(db, person_factory, deliver, sandbox_sms):
    person = person_factory(consent_phone_other_uses=True)
    with deliver():
        sms_send(
            to=person.phone,
            template="test_message",
            context={"name": "A"},
            language="fr",
            person=person,
            purpose="notification",
        )
    assert SandboxMessage.objects.filter(to=person.phone).count() == 1


def test_a_log_in_code_needs_no_consent(db, person, deliver, sandbox_sms):
    with deliver():
        sms_send(
            to=person.phone,
            template="test_code",
            context={"code": "123456"},
            language="fr",
            person=person,
            purpose="login_code",
        )
    assert SandboxMessage.objects.filter(to=person.phone).count() == 1


def test_an_sms_for_a_person_goes_only_to_their_verified_phone(db, person_factory):
    person = person_factory(consent_phone_other_uses=True)
    with pytest.raises(SmsNotAllowed, match="verified phone"):
        sms_send(
            to="+32470999999",
            template="test_code",
            context={"code": "1"},
            language="fr",
            person=person,
            purpose="login_code",
        )
    unverified = person_factory(phone_verified_at=None)
    with pytest.raises(SmsNotAllowed, match="no verified phone"):
        sms_send(
            to=unverified.phone,
            template="test_code",
            context={"code": "1"},
            language="fr",
            person=unverified,
            purpose="login_code",
        )
    assert not OutboundMessage.objects.exists()


def test_the_verified_phone_may_be_written_in_any_form(db, person_factory, deliver, sandbox_sms):
    person = person_factory(phone="+32470123456")
    with deliver():
        sms_send(
            to="0470 12 34 56",
            template="test_code",
            context={"code": "1"},
            language="fr",
            person=person,
            purpose="login_code",
        )
    assert SandboxMessage.objects.get().to == "+32470123456"


def test_the_code_checking_a_new_number_may_go_to_that_number(db, person, deliver, sandbox_sms):
    with deliver():
        sms_send(
            to="+32470999999",
            template="test_code",
            context={"code": "1"},
            language="fr",
            person=person,
            purpose="phone_verification",
        )
    assert SandboxMessage.objects.get().to == "+32470999999"


def test_consent_withdrawn_before_delivery_stops_the_sms(
    db, person_factory, deliver, kept_tasks, sandbox_sms
):
    person = person_factory(consent_phone_other_uses=True)
    with deliver():
        message = sms_send(
            to=person.phone,
            template="test_message",
            context={"name": "A"},
            language="fr",
            person=person,
        )
    person.consent_phone_other_uses = False
    person.save(update_fields=["consent_phone_other_uses"])

    with deliver():
        assert deliver_message.call(*kept_tasks.results[0].args) == "refused"

    assert not SandboxMessage.objects.exists()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert len(kept_tasks.results) == 1
    assert len(_failed_events()) == 1


def test_an_unknown_purpose_is_refused(db, person):
    with pytest.raises(ValueError, match="purpose"):
        sms_send(
            to=person.phone,
            template="test_code",
            context={},
            language="fr",
            person=person,
            purpose="marketing",
        )
