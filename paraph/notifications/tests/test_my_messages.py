"""My messages: a person reads again what Paraph sent them, never a code."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from paraph.notifications.models import Channel, OutboundMessage
from paraph.notifications.services import email_send, sms_send
from paraph.notifications.tests.conftest import find

BRUSSELS = ZoneInfo("Europe/Brussels")
T0 = dt.datetime(2026, 11, 23, 14, 3, tzinfo=BRUSSELS)


def _many(person, count: int) -> None:
    """``count`` delivered messages, one a minute, alternating e-mail and SMS."""
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            person=person,
            channel=Channel.EMAIL if n % 2 else Channel.SMS,
            to=person.email if n % 2 else person.phone,
            template="test_message",
            language="en",
            subject=f"Subject {n}" if n % 2 else "",
            body_text=f"Text {n}\nsecond line",
            status=OutboundMessage.Status.SENT,
            sent_at=T0 + dt.timedelta(minutes=n),
        )
        for n in range(count)
    )


def _rows(html: str) -> list[list[str]]:
    """The text of each cell, row by row, as the table shows it."""
    rows: dict[int, list[str]] = {}
    for cell in find(html, "td"):
        row = cell.ancestors[-1]
        if row.attrs.get("data-testid") == "message-row":
            rows.setdefault(id(row), []).append(cell.text)
    return list(rows.values())


def test_my_messages_needs_a_log_in(client, db):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_my_messages_lists_date_channel_headline_and_status_newest_first(
    client, person_factory, deliver, sandbox_sms
):
    person = person_factory(language="en", first_name="Anne", consent_phone_other_uses=True)
    with time_machine.travel(T0, tick=False), deliver():
        email_send(
            to=person.email,
            template="test_message",
            context={"name": "Anne"},
            language="en",
            person=person,
        )
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False), deliver():
        sms_send(
            to=person.phone,
            template="test_code",
            context={"code": "918273"},
            language="en",
            person=person,
            purpose="login_code",
        )
    with time_machine.travel(T0 + dt.timedelta(minutes=9), tick=False), deliver():
        sms_send(
            to=person.phone,
            template="test_message",
            context={"name": "Anne"},
            language="en",
            person=person,
        )
    client.force_login(person)

    html = client.get(reverse("notifications:inbox")).content.decode()

    assert [th.text for th in find(html, "th", scope="col")] == [
        "Date",
        "Channel",
        "Message",
        "Status",
    ]
    assert _rows(html) == [
        [
            "23 Nov 2026, 14:12",
            "SMS",
            "Paraph: hello Anne, this is a test message.",
            "sent",
        ],
        ["23 Nov 2026, 14:08", "SMS", "One-time code or personal link (content not kept)", "sent"],
        ["23 Nov 2026, 14:03", "e-mail", "Test message for Anne", "sent"],
    ]
    assert "918273" not in html


def test_another_persons_messages_are_not_listed(client, person_factory):
    me, other = person_factory(language="en"), person_factory(language="en")
    _many(other, 3)
    client.force_login(me)

    html = client.get(reverse("notifications:inbox")).content.decode()

    assert _rows(html) == []
    assert "Paraph has not sent you any message yet." in html


def test_my_messages_shows_20_a_page(client, person_factory):
    person = person_factory(language="en")
    _many(person, 45)
    client.force_login(person)

    first = client.get(reverse("notifications:inbox")).content.decode()
    third = client.get(reverse("notifications:inbox"), {"page": 3}).content.decode()

    assert len(_rows(first)) == 20
    assert _rows(first)[0][2] == "Text 44"  # the newest, an SMS: its first line
    assert _rows(first)[1][2] == "Subject 43"
    assert [row[2] for row in _rows(third)] == [
        "Text 4",
        "Subject 3",
        "Text 2",
        "Subject 1",
        "Text 0",
    ]
    assert "Page 3 of 3" in third


@pytest.mark.parametrize("count", [5, 200])
def test_my_messages_takes_the_same_number_of_queries_whatever_the_count(
    client, person_factory, django_assert_num_queries, count
):
    person = person_factory(language="en")
    client.force_login(person)
    _many(person, 5)
    client.get(reverse("notifications:inbox"))  # warm up (session, caches)
    with CaptureQueriesContext(connection) as baseline:
        client.get(reverse("notifications:inbox"))

    _many(person, count)
    with django_assert_num_queries(len(baseline.captured_queries)):
        response = client.get(reverse("notifications:inbox"))

    assert len(_rows(response.content.decode())) == min(20, 5 + count)


def test_a_message_detail_shows_the_kept_copy(client, person_factory, deliver):
    person = person_factory(language="en", email="anne@example.be")
    with time_machine.travel(T0, tick=False), deliver():
        message = email_send(
            to=person.email,
            template="test_message",
            context={"name": "Anne <&>", "link": "https://paraph.example/docs"},
            language="en",
            person=person,
        )
    client.force_login(person)

    html = client.get(reverse("notifications:detail", args=[message.pk])).content.decode()

    assert find(html, "h1")[0].text == "Test message for Anne <&>"
    (body,) = find(html, data_testid="message-body")
    assert "Hello Anne <&>," in body.text
    assert "Anne <&>" not in html  # escaped
    assert "a•••@example.be" in html
    assert "https://paraph.example/docs" in [a.attrs.get("href") for a in find(html, "a")]


def test_a_secret_message_shows_when_and_where_a_code_went_but_never_the_code(
    client, person_factory, deliver, sandbox_sms
):
    person = person_factory(language="en", phone="+32470123456")
    with time_machine.travel(T0, tick=False), deliver():
        message = sms_send(
            to=person.phone,
            template="test_code",
            context={"code": "564738"},
            language="en",
            person=person,
            purpose="login_code",
        )
    client.force_login(person)

    html = client.get(reverse("notifications:detail", args=[message.pk])).content.decode()

    (notice,) = find(html, data_testid="secret-notice")
    assert "sent to +32 *** ** 34 56 on 23 November 2026, 14:03" in notice.text
    assert "does not keep its content" in notice.text
    assert "564738" not in html
    assert "+32470123456" not in html


def test_a_secret_email_keeps_its_subject_only(client, person_factory, deliver):
    person = person_factory(language="en")
    with deliver():
        message = email_send(
            to=person.email,
            template="test_message",
            context={"name": "Anne", "link": "https://paraph.example/activate/tok-5e1f"},
            language="en",
            person=person,
            secret=True,
        )
    client.force_login(person)

    html = client.get(reverse("notifications:detail", args=[message.pk])).content.decode()

    assert find(html, "h1")[0].text == "Test message for Anne"
    assert find(html, data_testid="secret-notice")
    assert "tok-5e1f" not in html


def test_a_failed_message_says_it_was_not_delivered(client, person_factory):
    person = person_factory(language="en")
    message = OutboundMessage.objects.create(
        person=person,
        channel=Channel.EMAIL,
        to=person.email,
        template="test_message",
        language="fr",
        status=OutboundMessage.Status.FAILED,
    )
    client.force_login(person)
    response = client.get(reverse("notifications:detail", args=[message.pk]))
    html = response.content.decode()
    assert "This message could not be delivered." in html
    assert [dd.text for dd in find(html, "dd")][-1] == "not delivered"


def test_another_persons_message_is_not_found(client, person_factory):
    me, other = person_factory(), person_factory()
    _many(other, 1)
    theirs = OutboundMessage.objects.get(person=other)
    client.force_login(me)

    assert client.get(reverse("notifications:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:detail", args=[theirs.pk + 1000])).status_code == 404
