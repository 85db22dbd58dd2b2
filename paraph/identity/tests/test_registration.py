"""Registration through the sandbox itsme, with the Django test client:
the customer file matched by national number, by address or by client
reference (RG-2, RG-4), the contact centre after three failures (RG-5),
the phone (RG-7) and e-mail (RG-3) verified, the account created."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod
from paraph.audit.models import AuditEvent
from paraph.core.context import SYSTEM
from paraph.identity.models import (
    CustomerRecord,
    IdentityLink,
    MatchKind,
    RegistrationAttempt,
    RegistrationState,
)
from paraph.identity.providers import IdentityClaims
from paraph.identity.providers.itsme.sandbox import IDENTITIES_BY_KEY
from paraph.identity.tests.registration_support import (
    ALREADY,
    BLOCKED,
    EMAIL,
    EMAIL_CODE,
    MATCH,
    PHONE,
    PHONE_CODE,
    REGISTER,
    STATIC_PROVIDER,
    T0,
    StaticProvider,
    email_code,
    english_client,
    sandbox_itsme,
    sms_code,
    wrong,
)
from paraph.notifications.models import Channel, SandboxMessage

pytestmark = pytest.mark.django_db

MARIE = IDENTITIES_BY_KEY["marie"]
PIETER = IDENTITIES_BY_KEY["pieter"]
LEA = IDENTITIES_BY_KEY["lea"]
ANNE = IDENTITIES_BY_KEY["anne"]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def demo(db):
    """The demo people and the demo customer file, as ``make run`` has them."""
    call_command("demo", stdout=io.StringIO())


@pytest.fixture
def client(clock, demo, sandbox_email):
    return english_client()


@pytest.fixture
def send(deliver):
    """``send(client.post, url, data)``: a request whose messages reach the
    sandbox inboxes, as they would once its transaction commits."""

    def call(method, *args, **kwargs):
        with deliver():
            return method(*args, **kwargs)

    return call


def finish_phone(client, send, phone, *, consent=False, typed=""):
    data = {"phone": typed or phone}
    if consent:
        data["consent_other_uses"] = "on"
    response = send(client.post, PHONE, data)
    assert response.status_code == 302 and response["Location"] == PHONE_CODE, response
    response = client.post(PHONE_CODE, {"code": sms_code(phone)})
    assert response["Location"] == EMAIL
    return response


def finish_email(client, send, email):
    response = send(client.post, EMAIL, {"email": email})
    assert response["Location"] == EMAIL_CODE, response
    return client.post(EMAIL_CODE, {"code": email_code(email)})


def test_the_register_page_offers_three_ways_with_the_advice_for_residents(client):
    page = client.get(REGISTER).content.decode()

    assert "Register with itsme" in page
    assert "Register with my eID card" in page
    assert "Register with IDnow" in page
    assert "Use itsme or your eID card. IDnow is for people who do not live in Belgium." in page
    assert "No itsme account yet? How to get one" in page  # RG-6


def test_the_log_in_page_leads_to_registration(client):
    login = client.get("/account/login/").content.decode()
    assert 'href="/account/register/"' in login
    help_page = client.get("/account/register/").content.decode()
    assert 'href="/register/"' in help_page  # LG-1: two clicks to register


def test_marie_is_found_by_her_national_number_and_registers(client, send):
    response = sandbox_itsme(client, "marie")
    assert response["Location"] == PHONE

    page = client.get(PHONE).content.decode()
    assert "+32470555666" in page  # the number itsme shared, to confirm
    assert 'type="checkbox"' in page and "checked" not in page
    finish_phone(client, send, "+32470555666", typed="0470 55 56 66")
    response = finish_email(client, send, "marie.dubois@example.be")

    assert response.status_code == 302 and response["Location"] == "/adminbox/"
    person = Person.objects.get(national_number=MARIE.national_number)
    assert (person.first_name, person.last_name) == ("Marie", "Dubois")
    assert person.email == "marie.dubois@example.be" and person.email_verified_at == T0
    assert person.phone == "+32470555666" and person.phone_verified_at == T0
    assert person.assurance_level == AssuranceLevel.HIGH
    assert person.registration_method == RegistrationMethod.ITSME
    assert person.registered_at == T0
    assert person.language == "en"
    assert person.consent_phone_other_uses is False
    assert IdentityLink.objects.get(person=person).subject == MARIE.subject
    assert CustomerRecord.objects.get(external_id="C-1003").person == person
    event = AuditEvent.objects.get(name="identity.itsme.registered")
    assert event.subject_id == str(person.pk)
    assert event.data["match"] == MatchKind.NATIONAL_NUMBER
    assert event.data["customer"] == "C-1003"
    # Logged in, on their messages.
    inbox = client.get("/messages/")
    assert inbox.status_code == 200
    assert "you are registered and logged in" in inbox.content.decode()


@pytest.mark.parametrize(
    ("street", "number", "box", "postcode", "municipality"),
    [
        ("Kerkstraat", "12", "bus 3", "9000", "Gent"),
        ("kerkstr.", "12", "bte 3", "9000", "Gand"),  # French name, French box
        ("KERKSTRAAT", "12 bte 3", "", "9000", "gand"),  # box typed in the number
        ("Kerkstr", "12/3", "", "B-9000", "GENT"),
    ],
)
def test_pieter_confirms_his_address_however_he_writes_it(
    client, send, street, number, box, postcode, municipality
):
    response = sandbox_itsme(client, "pieter")
    assert response["Location"] == MATCH  # no national number in his customer record

    response = client.post(
        MATCH,
        {
            "action": "address",
            "address-street": street,
            "address-house_number": number,
            "address-box": box,
            "address-postal_code": postcode,
            "address-municipality": municipality,
        },
    )

    assert response.status_code == 302 and response["Location"] == PHONE
    attempt = RegistrationAttempt.objects.get(national_number=PIETER.national_number)
    assert attempt.match_kind == MatchKind.ADDRESS
    assert attempt.customer is not None and attempt.customer.external_id == "C-1004"


def test_the_address_form_is_prefilled_with_what_itsme_shared(client):
    sandbox_itsme(client, "pieter")
    page = client.get(MATCH).content.decode()
    assert 'value="Kerkstraat"' in page and 'value="9000"' in page
    assert "You have 3 tries left." in page


@pytest.mark.parametrize("reference", ["12/3456-789", "12.3456.789", "123456789", " 12 3456 789 "])
def test_pieter_types_his_client_reference_with_or_without_separators(client, send, reference):
    sandbox_itsme(client, "pieter")

    response = client.post(MATCH, {"action": "reference", "ref-reference": reference})

    assert response["Location"] == PHONE
    attempt = RegistrationAttempt.objects.get(national_number=PIETER.national_number)
    assert attempt.match_kind == MatchKind.REFERENCE


def test_a_reference_with_letters_is_explained_and_costs_no_try(client):
    sandbox_itsme(client, "pieter")

    page = client.post(MATCH, {"action": "reference", "ref-reference": "AB-12"}).content.decode()

    assert "A client reference has only digits" in page
    assert "You have 3 tries left." in page


def test_another_customers_reference_does_not_match(client):
    """Knowing someone's reference is not enough: the surname must agree."""
    sandbox_itsme(client, "pieter")

    page = client.post(MATCH, {"action": "reference", "ref-reference": "30/4050-607"})  # Marie's

    assert page.status_code == 200
    assert "You have 2 tries left." in page.content.decode()


def test_three_failed_tries_send_the_person_to_the_contact_centre(client):
    sandbox_itsme(client, "pieter")
    wrong_address = {
        "action": "address",
        "address-street": "Kerkstraat",
        "address-house_number": "14",
        "address-postal_code": "9000",
        "address-municipality": "Gent",
    }

    first = client.post(MATCH, wrong_address).content.decode()
    assert "We could not find you with this" in first and "2 more times" in first
    second = client.post(MATCH, {"action": "reference", "ref-reference": "99/9999-999"})
    assert "1 more time." in second.content.decode()
    third = client.post(MATCH, wrong_address)

    assert third["Location"] == BLOCKED
    page = client.get(BLOCKED).content.decode()
    assert "call the contact centre" in page
    assert "+32 2 664 13 60" in page  # RG-5: the phone and the hours
    assert "Monday to Friday" in page or "monday to friday" in page.lower()
    # The right reference no longer helps, and a new attempt stays blocked.
    assert (
        client.post(MATCH, {"action": "reference", "ref-reference": "123456789"})["Location"]
        == BLOCKED
    )
    assert sandbox_itsme(client, "pieter")["Location"] == BLOCKED
    assert not Person.objects.filter(national_number=PIETER.national_number).exists()
    assert AuditEvent.objects.filter(name="identity.registration.blocked").count() == 2
    # A blocked registration keeps who it was for (its name, for the
    # contact centre), not what itsme shared.
    for attempt in RegistrationAttempt.objects.all():
        assert attempt.state == RegistrationState.BLOCKED
        assert attempt.claims == {
            "given_name": PIETER.given_name,
            "family_name": PIETER.family_name,
        }
        assert attempt.national_number == PIETER.national_number


def test_cancelling_and_starting_again_does_not_give_new_matching_tries(client):
    # Otherwise the 24 h block after 3 failed tries is never reached.
    wrong = {"action": "reference", "ref-reference": "99/9999-999"}
    sandbox_itsme(client, "pieter")
    client.post(MATCH, wrong)
    client.post(MATCH, wrong)
    client.post("/register/cancel/")

    sandbox_itsme(client, "pieter")
    third = client.post(MATCH, wrong)

    assert third["Location"] == BLOCKED
    assert sandbox_itsme(client, "pieter")["Location"] == BLOCKED


def test_the_back_office_names_a_blocked_attempt_and_words_its_state(client, person_factory):
    # The contact centre gets the call: the attempt has no person yet, but
    # the list says who it was; and a state reads as a state, not a date
    # label ("registered" of a date field is "enregistré le" in French).
    import re

    from django.test import Client
    from django.utils import translation

    from paraph.accounts.tests.backoffice import staff_login
    from paraph.identity.models import RegistrationState

    sandbox_itsme(client, "pieter")
    wrong = {"action": "reference", "ref-reference": "99/9999-999"}
    for _ in range(3):
        client.post(MATCH, wrong)
    staff = staff_login(Client(), person_factory(is_staff=True, is_superuser=True))

    listing = staff.get("/backoffice/identity/registrationattempt/").content.decode()

    found = re.search(r'<td class="field-name">(.*?)</td>', listing)
    assert found is not None, listing
    name = found.group(1)
    assert name == f"{PIETER.given_name} {PIETER.family_name}"
    with translation.override("fr"):
        assert str(RegistrationState.DONE.label) != "enregistré le"


def test_the_block_ends_after_a_day(client, clock):
    sandbox_itsme(client, "pieter")
    for _ in range(3):
        client.post(MATCH, {"action": "reference", "ref-reference": "99/9999-999"})

    clock.shift(24 * 3600 + 60)

    assert sandbox_itsme(client, "pieter")["Location"] == MATCH


def test_a_registered_national_number_is_offered_log_in_not_a_second_account(client):
    people = Person.objects.count()

    response = sandbox_itsme(client, "anne")

    assert response["Location"] == ALREADY
    page = client.get(ALREADY).content.decode()
    assert "You already have an account" in page
    assert 'href="/account/login/"' in page
    assert Person.objects.count() == people
    assert client.get(PHONE)["Location"] == REGISTER  # nothing in progress


def test_a_new_customer_registers_without_a_customer_record(client, send):
    """Léa's employer has just taken her on: nothing in the customer file yet."""
    response = sandbox_itsme(client, "lea")
    assert response["Location"] == MATCH
    assert "I am not a customer yet" in client.get(MATCH).content.decode()

    response = client.post(MATCH, {"action": "new_customer"})
    assert response["Location"] == PHONE
    # She is not told she was found in the customer file: she was not.
    phone_page = client.get(PHONE).content.decode()
    assert "We found you in our customer file" not in phone_page
    assert "Welcome as a new customer" in phone_page
    finish_phone(client, send, LEA.phone)
    finish_email(client, send, LEA.email)

    person = Person.objects.get(national_number=LEA.national_number)
    assert person.first_name == "Léa"
    assert not CustomerRecord.objects.filter(person=person).exists()
    event = AuditEvent.objects.get(name="identity.itsme.registered")
    assert event.data["no_customer_record"] is True and event.data["customer"] is None


def test_idnow_claims_cannot_skip_the_customer_file(client, settings):
    """Substantial assurance only: a new customer calls the contact centre."""
    settings.IDENTITY_PROVIDERS = {**settings.IDENTITY_PROVIDERS, "idnow": STATIC_PROVIDER}
    StaticProvider.claims = IdentityClaims(
        method="idnow",
        subject="ident-123",
        assurance="substantial",
        given_name="Olga",
        family_name="Novak",
        birth_date=None,
    )

    response = client.post("/register/start/idnow/")
    assert client.get(response["Location"])["Location"] == MATCH
    page = client.get(MATCH).content.decode()

    assert "I am not a customer yet" not in page
    assert "Not a customer yet? Call the contact centre" in page
    assert client.post(MATCH, {"action": "new_customer"})["Location"] == MATCH
    assert RegistrationAttempt.objects.get(subject="ident-123").state == RegistrationState.MATCHING


def test_an_e_mail_address_of_another_person_is_refused(client, send):
    sandbox_itsme(client, "marie")
    finish_phone(client, send, MARIE.phone)

    page = send(client.post, EMAIL, {"email": "Anne.Martin@demo.paraph.be"}).content.decode()

    assert "This e-mail address belongs to another person" in page
    assert "strictly personal" in page
    assert not SandboxMessage.objects.filter(
        channel=Channel.EMAIL, to__iexact="anne.martin@demo.paraph.be"
    ).exists()


def test_a_phone_number_of_another_person_is_refused(client, send):
    sandbox_itsme(client, "marie")

    page = send(client.post, PHONE, {"phone": "0470 12 34 56"}).content.decode()  # Anne's

    assert "already used by another account" in page
    assert not SandboxMessage.objects.filter(channel=Channel.SMS, to="+32470123456").exists()


def test_a_wrong_phone_code_costs_a_try_and_an_expired_one_asks_for_a_new_code(client, send, clock):
    sandbox_itsme(client, "marie")
    send(client.post, PHONE, {"phone": MARIE.phone})
    code = sms_code(MARIE.phone)

    page = client.post(PHONE_CODE, {"code": wrong(code)}).content.decode()
    assert "This code is not correct. You can try 4 more times." in page

    clock.shift(11 * 60)
    page = client.post(PHONE_CODE, {"code": code}).content.decode()
    assert "This code has expired" in page
    assert RegistrationAttempt.objects.get().phone_verified_at is None

    clock.shift(60)
    send(client.post, "/register/phone/resend/")
    response = client.post(PHONE_CODE, {"code": sms_code(MARIE.phone)})
    assert response["Location"] == EMAIL


def test_five_wrong_phone_codes_end_the_code(client, send):
    sandbox_itsme(client, "marie")
    send(client.post, PHONE, {"phone": MARIE.phone})
    code = sms_code(MARIE.phone)

    for _ in range(4):
        client.post(PHONE_CODE, {"code": wrong(code)})
    response = client.post(PHONE_CODE, {"code": wrong(code)})

    assert response["Location"] == PHONE
    assert client.post(PHONE_CODE, {"code": code})["Location"] == PHONE


@pytest.mark.parametrize("ticked", [True, False])
def test_the_phone_consent_is_stored_only_when_ticked(client, send, ticked):
    sandbox_itsme(client, "marie")
    finish_phone(client, send, MARIE.phone, consent=ticked)
    finish_email(client, send, MARIE.email)

    person = Person.objects.get(national_number=MARIE.national_number)
    assert person.consent_phone_other_uses is ticked
    assert person.consent_phone_other_uses_at == (T0 if ticked else None)


def test_a_registration_expires_after_half_an_hour_of_inactivity(client, clock):
    sandbox_itsme(client, "marie")

    clock.shift(31 * 60)
    response = client.get(PHONE)

    assert response["Location"] == REGISTER
    assert "has ended or expired" in client.get(REGISTER).content.decode()


def test_a_person_the_contact_centre_created_is_completed_not_duplicated(
    client, send, person_factory
):
    known = person_factory(
        email=MARIE.email,
        national_number=MARIE.national_number,
        phone="",
        assurance_level=AssuranceLevel.LOW,
    )
    sandbox_itsme(client, "marie")
    finish_phone(client, send, MARIE.phone)
    finish_email(client, send, MARIE.email)

    known.refresh_from_db()
    assert Person.objects.filter(national_number=MARIE.national_number).count() == 1
    assert known.assurance_level == AssuranceLevel.HIGH
    assert known.registration_method == RegistrationMethod.ITSME
    assert known.phone == MARIE.phone


def test_cancelling_forgets_the_claims(client):
    sandbox_itsme(client, "pieter")

    response = client.post("/register/cancel/")

    assert response["Location"] == "/"
    attempt = RegistrationAttempt.objects.get()
    assert attempt.state == RegistrationState.CANCELLED and attempt.claims == {}
    assert client.get(MATCH)["Location"] == REGISTER


def test_a_logged_in_person_is_not_asked_to_register(client):
    client.force_login(Person.objects.get(national_number=ANNE.national_number))
    assert client.get(REGISTER)["Location"] == "/adminbox/"


def _request_with_session():
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().get("/identity/idnow/complete/")
    request.session = SessionStore()
    return request


def test_a_provider_may_resume_a_registration_started_in_another_browser(client):
    """IDnow's result may come back in another browser than the one that
    chose IDnow: the provider passes the attempt, which moves to this one."""
    from paraph.identity.selectors import registration_attempt_current
    from paraph.identity.services import (
        RegistrationOutcome,
        registration_claims_received,
        registration_start,
    )
    from paraph.identity.sessions import attempt_follow

    attempt = registration_start(method="idnow", context=SYSTEM)
    other = _request_with_session()
    claims = IdentityClaims(
        method="idnow",
        subject="ident-9",
        assurance="substantial",
        given_name="Olga",
        family_name="Novak",
    )

    step = registration_claims_received(
        claims=claims,
        context=SYSTEM,
        attempt=attempt,
        session_attempt=registration_attempt_current(other),
    )
    attempt_follow(other, step)

    assert step.outcome == RegistrationOutcome.MATCH_NEEDED
    assert step.attempt is not None and step.attempt.pk == attempt.pk
    current = registration_attempt_current(other)
    assert current is not None and current.pk == attempt.pk


def test_a_finished_registration_is_never_reopened_by_a_provider(client):
    from paraph.identity.services import registration_claims_received, registration_start

    attempt = registration_start(method="idnow", context=SYSTEM)
    RegistrationAttempt.objects.filter(pk=attempt.pk).update(state=RegistrationState.DONE)
    attempt.refresh_from_db()
    claims = IdentityClaims(
        method="idnow",
        subject="ident-9",
        assurance="substantial",
        given_name="Olga",
        family_name="Novak",
    )

    step = registration_claims_received(claims=claims, context=SYSTEM, attempt=attempt)

    assert step.attempt is not None and step.attempt.pk != attempt.pk
    attempt.refresh_from_db()
    assert attempt.state == RegistrationState.DONE


def test_claims_above_what_the_method_can_prove_are_refused(client):
    from paraph.identity.services import RegistrationOutcome, registration_claims_received

    claims = IdentityClaims(
        method="idnow", subject="ident-9", assurance="high", given_name="Olga", family_name="Novak"
    )

    step = registration_claims_received(claims=claims, context=SYSTEM)

    assert step.outcome == RegistrationOutcome.REFUSED
