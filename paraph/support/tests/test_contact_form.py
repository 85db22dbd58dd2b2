"""The contact form (SU-1): a ticket in the right queue, an acknowledgement
in the person's language, and nothing at all for bad or automated input."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from paraph.audit.models import AuditEvent
from paraph.core.context import SYSTEM
from paraph.notifications.models import OutboundMessage, SandboxMessage
from paraph.support.models import Ticket
from paraph.support.services import CONTACT_RATE_LIMIT, ticket_create

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
DASH = "\u2013"  # the en dash between opening and closing time
URL = "/support/contact/"


@pytest.fixture
def english(client):
    client.cookies["paraph_language"] = "en"
    return client


def _form(**overrides):
    data = {
        "topic": "contracts",
        "name": "Anne Martin",
        "email": "anne@example.be",
        "reference": "123/4567/89",
        "message": "I cannot open the contract my agency sent me.",
        "website": "",
    }
    data.update(overrides)
    return data


def _nothing_created():
    return (
        not Ticket.objects.exists()
        and not OutboundMessage.objects.exists()
        and not AuditEvent.objects.filter(name="support.ticket.created").exists()
    )


def test_the_contact_route_is_the_contact_form():
    assert reverse("support:contact") == URL


def test_the_page_shows_the_phone_the_hours_and_help_for_log_in_problems(english, settings):
    settings.CONTACT_PHONE = "+32 2 664 13 60"
    page = english.get(URL).content.decode()
    assert 'href="tel:+3226641360"' in page
    assert f"Monday to Friday, 08:00{DASH}16:45" in page
    assert "You cannot log in?" in page  # LG-2
    assert "Log in with itsme or your eID card" in page  # LG-4
    for field in ("topic", "name", "email", "reference", "message"):
        assert f'<label for="id_{field}">' in page
        assert f'id="id_{field}"' in page


def test_the_honeypot_is_hidden_from_people_and_keyboards(english):
    page = english.get(URL).content.decode()
    honeypot = re.search(r'<div class="honeypot" aria-hidden="true">(.*?)</div>', page, re.S)
    assert honeypot is not None
    assert 'tabindex="-1"' in honeypot.group(1)
    assert 'name="website"' in honeypot.group(1)


def test_fields_carry_their_length_limits(english):
    page = english.get(URL).content.decode()
    assert re.search(r'<input[^>]*name="name"[^>]*maxlength="150"', page)
    assert re.search(r'<input[^>]*name="reference"[^>]*maxlength="50"', page)
    assert re.search(r'<textarea[^>]*name="message"[^>]*maxlength="5000"', page)


def test_a_logged_in_persons_name_and_email_are_filled_in(client, person_factory):
    person = person_factory(first_name="Jan", last_name="Peeters", email="jan@example.be")
    client.force_login(person)
    page = client.get(URL).content.decode()
    assert re.search(r'<input[^>]*name="name"[^>]*value="Jan Peeters"', page)
    assert re.search(r'<input[^>]*name="email"[^>]*value="jan@example.be"', page)


def test_a_link_from_the_log_in_page_preselects_the_log_in_topic(english):
    page = english.get(URL + "?topic=login").content.decode()
    assert '<option value="login" selected>' in page


@pytest.mark.parametrize(
    ("topic", "queue"),
    [
        ("registration", "identity"),
        ("login", "identity"),
        ("company", "companies"),
        ("contracts", "contracts"),
        ("other", "general"),
    ],
)
def test_each_topic_reaches_its_team(english, topic, queue):
    response = english.post(URL, _form(topic=topic))
    assert response.status_code == 302
    assert Ticket.objects.get().queue == queue


@time_machine.travel(dt.datetime(2026, 5, 12, 10, 0, tzinfo=BRUSSELS), tick=False)
def test_a_message_becomes_a_ticket_acknowledged_by_e_mail(
    client, django_capture_on_commit_callbacks
):
    client.cookies["paraph_language"] = "nl"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, _form(), REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.number == "T-2026-000001"
    assert (ticket.topic, ticket.queue, ticket.status) == ("contracts", "contracts", "open")
    assert (ticket.name, ticket.email, ticket.reference) == (
        "Anne Martin",
        "anne@example.be",
        "123/4567/89",
    )
    assert ticket.language == "nl"
    assert ticket.person is None

    event = AuditEvent.objects.get(name="support.ticket.created")
    assert event.subject_id == str(ticket.pk)
    assert event.data == {"number": "T-2026-000001", "topic": "contracts", "queue": "contracts"}
    assert event.ip == "198.51.100.7"
    assert event.actor_label == "Anne Martin <anne@example.be>"

    mail = SandboxMessage.objects.get(channel="email")
    assert mail.to == "anne@example.be"
    assert "T-2026-000001" in mail.subject
    assert "T-2026-000001" in mail.body_text
    assert '<html lang="nl">' in mail.body_html
    assert OutboundMessage.objects.get().language == "nl"
    # The message is not echoed: the form cannot relay any text to any address.
    assert "cannot open the contract" not in mail.body_text

    thanks = client.get(response["Location"]).content.decode()
    assert "T-2026-000001" in thanks


def test_the_thank_you_page_gives_the_number_phone_and_hours(english, settings):
    settings.CONTACT_PHONE = "+32 2 664 13 60"
    page = english.post(URL, _form(), follow=True).content.decode()
    number = Ticket.objects.get().number
    assert f'<strong class="ticket-number">{number}</strong>' in page
    assert "+32 2 664 13 60" in page
    assert f"Monday to Friday, 08:00{DASH}16:45" in page


def test_a_logged_in_person_is_linked_to_their_ticket(client, person):
    client.force_login(person)
    client.post(URL, _form(name=person.full_name, email=person.email))
    ticket = Ticket.objects.get()
    assert ticket.person == person
    assert ticket.language == person.language
    event = AuditEvent.objects.get(name="support.ticket.created")
    assert event.actor_id == person.pk


def test_ticket_numbers_follow_each_other_and_restart_each_brussels_year():
    def create():
        return ticket_create(
            topic="other",
            name="A",
            email="a@example.be",
            reference="",
            message="m",
            language="fr",
            person=None,
            context=SYSTEM,
        ).number

    with time_machine.travel(dt.datetime(2026, 12, 31, 12, 0, tzinfo=BRUSSELS), tick=False):
        assert [create(), create()] == ["T-2026-000001", "T-2026-000002"]
    # 23:30 UTC on 31 December is already New Year in Brussels.
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        assert create() == "T-2027-000001"


def test_the_service_refuses_an_unknown_topic():
    with pytest.raises(ValueError, match="unknown ticket topic"):
        ticket_create(
            topic="lottery",
            name="A",
            email="a@example.be",
            reference="",
            message="m",
            language="fr",
            person=None,
            context=SYSTEM,
        )
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("topic", "", "Choose what your question is about."),
        ("topic", "sales", "Select a valid choice."),
        ("name", "", "Enter your name."),
        ("name", "x" * 151, "Your name can be at most 150 characters long."),
        ("email", "", "Enter your e-mail address, so we can answer you."),
        ("email", "anne-at-example.be", "Enter an e-mail address like name@example.be."),
        ("email", "a@" + "b" * 250 + ".be", "at most 254 characters"),
        ("reference", "9" * 51, "A reference can be at most 50 characters long."),
        ("message", "", "Write your message."),
        ("message", "   ", "Write your message."),
        ("message", "x" * 5001, "Your message can be at most 5000 characters long (it has 5001)."),
    ],
)
def test_bad_input_is_explained_next_to_its_field_and_creates_nothing(
    english, django_capture_on_commit_callbacks, field, value, error
):
    with django_capture_on_commit_callbacks(execute=True):
        response = english.post(URL, _form(**{field: value}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your message was not sent yet" in page
    field_error = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert field_error is not None and error in field_error.group(1)
    found = re.search(rf'<(input|select|textarea)[^>]*name="{field}"[^>]*>', page)
    assert found is not None, f"the form still shows {field}"
    widget = found.group(0)
    assert 'aria-invalid="true"' in widget
    assert f"id_{field}_error" in widget  # aria-describedby
    # A screen reader announces the failure with the page's title.
    assert "<title>Error: Contact us" in page
    assert _nothing_created()


def test_what_the_person_typed_is_kept_after_an_error(english):
    page = english.post(URL, _form(email="wrong")).content.decode()
    assert "I cannot open the contract my agency sent me." in page
    assert re.search(r'<input[^>]*name="name"[^>]*value="Anne Martin"', page)


def test_a_filled_honeypot_thanks_the_robot_and_creates_nothing(
    english, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = english.post(URL, _form(website="http://spam.example"), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("support:contact_sent")
    assert "Thank you, your message was sent" in page
    assert "ticket-number" not in page
    assert _nothing_created()
    assert not SandboxMessage.objects.exists()


def test_a_honeypot_wins_even_over_invalid_fields(english):
    response = english.post(URL, _form(website="x", email="", message=""))
    assert response.status_code == 302
    assert _nothing_created()


def test_an_address_that_writes_too_often_is_asked_to_wait(english):
    start = dt.datetime(2026, 5, 12, 10, 0, tzinfo=BRUSSELS)
    with time_machine.travel(start, tick=False):
        for _ in range(CONTACT_RATE_LIMIT):
            assert english.post(URL, _form(), REMOTE_ADDR="203.0.113.5").status_code == 302
        response = english.post(URL, _form(), REMOTE_ADDR="203.0.113.5")
        page = response.content.decode()
        assert response.status_code == 429
        assert "You have sent several messages in a short time" in page
        assert "try again in 60 minutes" in page
        assert "+32 2 664 13 60" in page
        assert "I cannot open the contract my agency sent me." in page  # nothing lost
        assert Ticket.objects.count() == CONTACT_RATE_LIMIT
        # Another address is not affected.
        assert english.post(URL, _form(), REMOTE_ADDR="203.0.113.6").status_code == 302

    with time_machine.travel(start + dt.timedelta(minutes=59, seconds=30), tick=False):
        page = english.post(URL, _form(), REMOTE_ADDR="203.0.113.5").content.decode()
        assert "try again in 1 minute," in page

    with time_machine.travel(start + dt.timedelta(hours=1, seconds=1), tick=False):
        assert english.post(URL, _form(), REMOTE_ADDR="203.0.113.5").status_code == 302
    assert Ticket.objects.count() == CONTACT_RATE_LIMIT + 2
