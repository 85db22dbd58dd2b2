"""The contact centre creates a person's account in the back office: with a
written reason, in the audit log, with a welcome e-mail in the person's
language; the person can then log in with an SMS code. Until registration
exists, this and the demo data are how people get an account."""

import html
import json
from typing import TypedDict

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import translation

from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod
from paraph.accounts.services import person_create
from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.accounts.tests.helpers import english_client, last_code, submit_code
from paraph.audit.models import AuditEvent
from paraph.audit.services import audit_verify_chain
from paraph.notifications.models import OutboundMessage, SandboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_email")]

PEOPLE = "/backoffice/accounts/person/"
ADD = f"{PEOPLE}add/"
REASON = "Called the contact centre; checked her identity card number and date of birth."


class PersonFields(TypedDict):
    """The add form's fields, which are also ``person_create``'s."""

    first_name: str
    last_name: str
    email: str
    phone: str
    national_number: str
    language: str
    reason: str


LOTTE: PersonFields = {
    "first_name": "  Lotte ",
    "last_name": "Peeters",
    "email": "Lotte.Peeters@Example.BE",
    "phone": "0470 98 76 54",
    "national_number": "85.07.30-033.28",
    "language": "nl",
    "reason": REASON,
}


@pytest.fixture
def agent(person_factory):
    return make_agent(person_factory, last_name="Desk", language="en")


@pytest.fixture
def agent_client(client, agent):
    client.cookies["paraph_language"] = "en"
    return staff_login(client, agent)


@pytest.fixture
def owner(person_factory):
    """Someone who already has an account, whom no error may name."""
    return person_factory(
        first_name="Bernadette",
        last_name="Owner",
        email="taken@example.be",
        phone="+32470111111",
        national_number="78092301823",
    )


def _nothing_created(people_before):
    return (
        Person.objects.count() == people_before
        and not AuditEvent.objects.filter(name="accounts.person.created").exists()
        and not OutboundMessage.objects.exists()
    )


def test_an_agent_creates_a_person_who_can_then_log_in(
    agent_client, agent, deliver, start_login, owner
):
    listing = agent_client.get(PEOPLE).content.decode()
    assert f'href="{ADD}"' in listing
    form = agent_client.get(ADD).content.decode()
    for field in LOTTE:
        assert f'<label for="id_{field}"' in form

    with deliver():
        response = agent_client.post(ADD, LOTTE, REMOTE_ADDR="192.0.2.10")

    lotte = Person.objects.get(last_name="Peeters")
    assert response.status_code == 302
    assert response["Location"] == f"{PEOPLE}{lotte.pk}/change/"
    assert (lotte.first_name, lotte.email, lotte.phone, lotte.national_number) == (
        "Lotte",
        "Lotte.Peeters@example.be",
        "+32470987654",
        "85073003328",
    )
    assert lotte.language == "nl"
    assert lotte.registration_method == RegistrationMethod.BACKOFFICE
    assert lotte.assurance_level == AssuranceLevel.LOW
    assert lotte.phone_verified_at is not None and lotte.email_verified_at is None
    assert not lotte.has_usable_password() and not lotte.is_staff

    event = AuditEvent.objects.get(name="accounts.person.created")
    assert event.actor_id == agent.pk
    assert event.subject_id == str(lotte.pk)
    assert event.ip == "192.0.2.10"
    assert event.data["reason"] == REASON
    assert event.data["new"]["email"] == "Lotte.Peeters@example.be"
    assert event.data["new"]["phone"] == "+32470987654"
    assert event.data["new"]["national_number"] == "85.07.30-***.**"
    assert "03328" not in json.dumps(event.data)
    assert audit_verify_chain() is None

    (mail,) = SandboxMessage.objects.filter(channel="email")
    assert mail.to.lower() == "lotte.peeters@example.be"
    assert mail.subject == "Uw Paraph-account werd aangemaakt"
    assert '<html lang="nl">' in mail.body_html
    for body in (mail.body_text, html.unescape(mail.body_html)):
        assert f"{settings.BASE_URL}/account/login/" in body
        assert "+32 *** ** 76 54" in body
        assert "+32470987654" not in body
        assert settings.CONTACT_PHONE in body
        assert REASON not in body

    page = agent_client.get(response["Location"]).content.decode()
    assert "The account was created." in page

    person_browser = english_client()
    start_login(person_browser, "0470 98 76 54")
    response = submit_code(person_browser, last_code("+32470987654"))
    assert response.status_code == 302
    assert response["Location"] == "/adminbox/"
    assert person_browser.session["_auth_user_id"] == str(lotte.pk)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("reason", "", "Write why this change is made"),
        ("reason", "   ", "Write why this change is made"),
        ("email", "lotte.peeters@", "Enter an e-mail address like name@example.be."),
        (
            "email",
            "TAKEN@Example.be",
            "This e-mail address belongs to another person. An e-mail address must be "
            "personal: it cannot be shared by two people.",
        ),
        ("phone", "02 664 13 60", "Enter a mobile number: we send log-in codes by SMS."),
        ("phone", "0470 11 11 11", "This phone number belongs to another person."),
        ("phone", "", "Enter the person's mobile phone number."),
        ("national_number", "85.07.30-033.29", "check the last two digits"),
        ("national_number", "85 07 30 033", "A national register number has 11 digits."),
        (
            "national_number",
            "78.09.23-018.23",
            "This national register number belongs to another person.",
        ),
        ("first_name", "A" * 200, "A name can be at most 150 characters long."),
        ("last_name", "", "Enter the person's last name."),
        ("language", "", "Choose the language in which the person wants to read Paraph."),
    ],
)
def test_bad_input_is_refused_on_its_field_and_creates_nothing(
    agent_client, owner, field, typed, message
):
    before = Person.objects.count()

    response = agent_client.post(ADD, {**LOTTE, field: typed})

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert message in page
    # The message sits under its field, which points at it.
    assert f'id="id_{field}_error"' in page
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in page or (
        f'aria-describedby="id_{field}_error"' in page
    )
    assert "Bernadette" not in page and "taken@example.be" not in page
    assert _nothing_created(before)


def test_every_mistake_shows_at_once(agent_client):
    before = Person.objects.count()
    response = agent_client.post(
        ADD, {**LOTTE, "email": "nobody", "phone": "02 664 13 60", "reason": ""}
    )
    page = response.content.decode()
    for field in ("email", "phone", "reason"):
        assert f'id="id_{field}_error"' in page
    assert 'id="id_national_number_error"' not in page
    assert _nothing_created(before)


def test_a_person_created_meanwhile_with_the_same_address_gives_the_same_message(
    agent, owner, monkeypatch
):
    """Two agents create the same person at once: the second insert fails
    on the unique constraint, and is told as clearly as by the checks."""
    original = Person.set_unusable_password
    raced: list[bool] = []

    def someone_was_faster(person):
        # Between the checks and the insert, another agent's insert lands.
        if not raced:
            raced.append(True)
            Person.objects.create_user("Lotte.Peeters@example.be", first_name="L", last_name="P")
        original(person)

    monkeypatch.setattr(Person, "set_unusable_password", someone_was_faster)
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        person_create(**LOTTE | {"national_number": ""}, actor=agent)

    assert raised.value.message_dict == {
        "email": [
            "This e-mail address belongs to another person. An e-mail address must be "
            "personal: it cannot be shared by two people."
        ]
    }
    assert not Person.objects.filter(last_name="Peeters").exists()
    assert not AuditEvent.objects.filter(name="accounts.person.created").exists()
    assert not OutboundMessage.objects.exists()


def test_staff_without_the_add_permission_gets_no_add_page(client, person_factory):
    staff = person_factory(is_staff=True, first_name="Reader")
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts", codename__in=["view_person", "change_person"]
        )
    )
    staff_login(client, staff)
    before = Person.objects.count()

    assert client.get(PEOPLE).status_code == 200
    assert f'href="{ADD}"' not in client.get(PEOPLE).content.decode()
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, LOTTE).status_code == 403
    assert _nothing_created(before)
