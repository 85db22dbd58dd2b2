"""E-mail through Django's real SMTP backend to a real SMTP server (aiosmtpd)
on loopback: envelope, headers, both parts, the person's language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from paraph.notifications.models import OutboundMessage
from paraph.notifications.services import email_send

BRUSSELS = ZoneInfo("Europe/Brussels")
SENT_ON = dt.datetime(2026, 11, 23, 10, 30, tzinfo=BRUSSELS)


@pytest.fixture
def smtp_settings(smtp_server):
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=smtp_server.port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        DEFAULT_FROM_EMAIL="Paraph <no-reply@paraph.example>",
        CONTACT_PHONE="+32 2 664 13 60",
        CONTACT_HOURS="mon-fri 08:00-16:45",
    ):
        yield smtp_server


def _send(person, deliver, **context):
    with time_machine.travel(SENT_ON, tick=True), deliver():
        return email_send(
            to=person.email,
            template="test_message",
            context={"name": person.first_name, **context},
            language=person.language,
            person=person,
        )


def test_the_mail_reaches_the_smtp_server_with_its_envelope_and_both_parts(
    db, person_factory, deliver, smtp_settings
):
    person = person_factory(first_name="Anne", email="anne.martin@example.be", language="en")
    message = _send(person, deliver)

    (received,) = smtp_settings.received
    assert received.mail_from == "no-reply@paraph.example"
    assert received.rcpt_tos == ["anne.martin@example.be"]
    assert received.message["From"] == "Paraph <no-reply@paraph.example>"
    assert received.message["To"] == "anne.martin@example.be"
    assert received.message["Subject"] == "Test message for Anne"
    assert received.message["Content-Language"] == "en"
    text = received.part("plain")
    html = received.part("html")
    assert "Hello Anne," in text
    assert "Hello Anne," in html
    assert '<html lang="en">' in html
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT


def test_every_mail_carries_the_contact_centres_phone_and_hours(
    db, person_factory, deliver, smtp_settings
):
    person = person_factory(language="en")
    _send(person, deliver)

    (received,) = smtp_settings.received
    for part in (received.part("plain"), received.part("html")):
        assert "+32 2 664 13 60" in part
        assert "Monday to Friday, 08:00\u201316:45" in part
        assert "23 November 2026" in part  # the day it was sent
    assert 'href="tel:+3226641360"' in received.part("html")


@pytest.mark.parametrize(
    ("language", "month", "monday"),
    [
        ("fr", "23 novembre 2026", "lundi"),
        ("nl", "23 november 2026", "maandag"),
        ("de", "23. November 2026", "Montag"),
        ("en", "23 November 2026", "Monday"),
    ],
)
def test_the_mail_is_in_the_persons_language(
    db, person_factory, deliver, smtp_settings, language, month, monday
):
    # Until Paraph's own translations exist, Django's built-in ones (month
    # and day names) prove which language the mail was rendered in.
    person = person_factory(language=language)
    _send(person, deliver)

    (received,) = smtp_settings.received
    assert received.message["Content-Language"] == language
    text = received.part("plain")
    html = received.part("html")
    assert month in text
    assert month in html
    assert f'<html lang="{language}">' in html
    assert monday.lower() in text.lower()  # the opening days of the contact centre


def test_text_is_sent_as_typed_and_html_is_escaped(db, person_factory, deliver, smtp_settings):
    person = person_factory(first_name='Zoë <b>"O\'Neil" & Co</b>', language="en")
    _send(person, deliver, link="https://paraph.example/a?b=1&c=2")

    (received,) = smtp_settings.received
    assert received.message["Subject"] == 'Test message for Zoë <b>"O\'Neil" & Co</b>'
    text = received.part("plain")
    assert 'Hello Zoë <b>"O\'Neil" & Co</b>,' in text
    assert "https://paraph.example/a?b=1&c=2" in text
    assert "&amp;" not in text
    html = received.part("html")
    assert "<b>" not in html
    assert "Zoë &lt;b&gt;&quot;O&#x27;Neil&quot; &amp; Co&lt;/b&gt;" in html
    assert 'href="https://paraph.example/a?b=1&amp;c=2"' in html
    assert "<title>Test message for Zoë &lt;b&gt;" in html
