"""Regaining access: a new phone number after an itsme or eID log-in
(LG-4), a new eID card (LG-5), a new e-mail address after a high-assurance
log-in (LG-3), and log-in with a provider for registered people only (LG-1).

The eID card is played by a provider double that returns claims carrying
certificates of the test PKI (``paraph/signing/tests/pki``); the Web eID
validation itself is tested with the eID provider. The test PKI holds one
card per holder: the signature certificate of Jan's card stands in for the
authentication certificate of his new card (same holder and national
number, another certificate)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator

import pytest
from django.core.management import call_command

from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod
from paraph.audit.models import AuditEvent
from paraph.core.context import SYSTEM
from paraph.identity.models import EidCertificate, IdentityLink
from paraph.identity.providers import IdentityClaims
from paraph.identity.providers.itsme.sandbox import IDENTITIES_BY_KEY
from paraph.identity.services import eid_certificate_record
from paraph.identity.tests.registration_support import (
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
from paraph.notifications.tests.conftest import find

pytestmark = pytest.mark.django_db

ANNE = IDENTITIES_BY_KEY["anne"]
ANNE_PHONE = "+32470123456"
NEW_PHONE = "+32470998877"
JAN_NN = "85073003328"  # the test PKI's Jan Peeters carries this number


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def client(clock, sandbox_email):
    call_command("demo", stdout=io.StringIO())
    Person.objects.filter(national_number=ANNE.national_number).update(language="en")
    return english_client()


@pytest.fixture
def card_client(clock, sandbox_email):
    """A browser on a site without the demo data (whose Anne carries the
    national number the test PKI gives Jan)."""
    return english_client()


@pytest.fixture
def send(deliver):
    def call(method, *args, **kwargs):
        with deliver():
            return method(*args, **kwargs)

    return call


@pytest.fixture
def anne():
    return Person.objects.get(national_number=ANNE.national_number)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Iterator:
    from paraph.signing.tests.pki import start_pki

    test_pki = start_pki(tmp_path_factory.mktemp("pki"))
    yield test_pki
    test_pki.close()


@pytest.fixture
def eid_provider(settings):
    settings.IDENTITY_PROVIDERS = {**settings.IDENTITY_PROVIDERS, "eid": STATIC_PROVIDER}
    StaticProvider.started.clear()

    def card(der: bytes, *, national_number: str = JAN_NN, given="Jan", family="Peeters"):
        StaticProvider.claims = IdentityClaims(
            method="eid",
            subject=hashlib.sha256(der).hexdigest(),
            assurance="high",
            given_name=given,
            family_name=family,
            national_number=national_number,
            certificate_der=der,
        )

    return card


@pytest.fixture
def jan(person_factory, pki):
    """Jan registered with his (old) eID card."""
    person = person_factory(
        first_name="Jan",
        last_name="Peeters",
        email="jan@example.be",
        national_number=JAN_NN,
        phone="+32470200300",
        language="en",
        assurance_level=AssuranceLevel.HIGH,
        registration_method=RegistrationMethod.EID,
        registered_at=T0,
    )
    old_card = pki.cert_der("jan-auth")
    IdentityLink.objects.create(
        person=person, method="eid", subject=hashlib.sha256(old_card).hexdigest()
    )
    eid_certificate_record(person=person, certificate_der=old_card, context=SYSTEM)
    return person


# --- A new phone number (LG-4) ---------------------------------------------------


def test_the_log_in_page_offers_a_way_back_with_a_new_phone(client):
    page = client.get("/account/register/").content.decode()
    assert 'href="/register/new-phone/"' in page
    new_phone = client.get("/register/new-phone/").content.decode()
    assert "Continue with itsme" in new_phone and "Continue with my eID card" in new_phone
    assert "You registered with IDnow?" in new_phone


def test_a_new_phone_after_an_itsme_log_in(client, send, anne):
    response = sandbox_itsme(client, "anne", start="/register/new-phone/start/itsme/")
    assert response["Location"] == "/register/new-phone/number/"
    assert "+32 *** ** 34 56" in client.get("/register/new-phone/number/").content.decode()

    response = send(client.post, "/register/new-phone/number/", {"phone": "0470 99 88 77"})
    assert response["Location"] == "/register/new-phone/code/"
    response = send(client.post, "/register/new-phone/code/", {"code": sms_code(NEW_PHONE)})

    assert response["Location"] == "/adminbox/"
    anne.refresh_from_db()
    assert anne.phone == NEW_PHONE and anne.phone_verified_at == T0
    event = AuditEvent.objects.get(name="accounts.phone.changed")
    assert event.data == {"old": ANNE_PHONE, "new": NEW_PHONE, "by": "self", "method": "itsme"}
    # The old number and the e-mail address are told.
    told = SandboxMessage.objects.get(channel=Channel.SMS, to=ANNE_PHONE)
    assert "your log-in codes now go to another number" in told.body_text
    mail = SandboxMessage.objects.get(channel=Channel.EMAIL, to=anne.email)
    assert mail.subject == "The mobile phone number of your Paraph account was changed"
    assert "After you confirmed who you are with itsme" in mail.body_text


def test_a_wrong_code_leaves_the_old_number(client, send, anne):
    sandbox_itsme(client, "anne", start="/register/new-phone/start/itsme/")
    send(client.post, "/register/new-phone/number/", {"phone": NEW_PHONE})

    page = client.post("/register/new-phone/code/", {"code": wrong(sms_code(NEW_PHONE))})

    assert "This code is not correct" in page.content.decode()
    anne.refresh_from_db()
    assert anne.phone == ANNE_PHONE


def test_another_persons_number_is_refused(client, send):
    sandbox_itsme(client, "anne", start="/register/new-phone/start/itsme/")

    page = send(client.post, "/register/new-phone/number/", {"phone": "0470 65 43 21"})  # Jan's

    assert "already used by another account" in page.content.decode()


def test_the_itsme_proof_must_be_fresh(client, clock):
    sandbox_itsme(client, "anne", start="/register/new-phone/start/itsme/")

    clock.shift(16 * 60)

    assert client.get("/register/new-phone/number/")["Location"] == "/register/new-phone/"


def test_a_new_phone_lifts_a_lock_out(client, send, anne):
    Person.objects.filter(pk=anne.pk).update(
        locked_until=T0 + dt.timedelta(minutes=30), failed_login_count=3
    )
    sandbox_itsme(client, "anne", start="/register/new-phone/start/itsme/")
    send(client.post, "/register/new-phone/number/", {"phone": NEW_PHONE})
    send(client.post, "/register/new-phone/code/", {"code": sms_code(NEW_PHONE)})

    anne.refresh_from_db()
    assert anne.locked_until is None and anne.failed_login_count == 0


def test_someone_registered_with_idnow_is_sent_to_the_contact_centre(
    card_client, eid_provider, person_factory, pki
):
    idnow_person = person_factory(
        national_number=JAN_NN,
        assurance_level=AssuranceLevel.SUBSTANTIAL,
        registration_method=RegistrationMethod.IDNOW,
        registered_at=T0,
        phone="+32470200300",
    )
    eid_provider(pki.cert_der("jan-auth"))

    response = card_client.post("/register/new-phone/start/eid/")
    response = card_client.get(response["Location"])

    assert response["Location"] == "/register/new-phone/contact-centre/"
    page = card_client.get(response["Location"]).content.decode()
    assert "The contact centre changes your number" in page and "+32 2 664 13 60" in page
    assert card_client.get("/register/new-phone/number/")["Location"].startswith("/account/login/")
    idnow_person.refresh_from_db()
    assert idnow_person.phone == "+32470200300"


def test_the_idnow_button_does_not_exist_for_a_new_phone(client):
    assert (
        client.post("/register/new-phone/start/idnow/")["Location"]
        == "/register/new-phone/contact-centre/"
    )


def test_someone_not_registered_is_invited_to_register(client):
    response = sandbox_itsme(client, "marie", start="/register/new-phone/start/itsme/")

    assert response.status_code == 400
    assert "No account is registered for this identity" in response.content.decode()
    assert client.get("/messages/")["Location"].startswith("/account/login/")


# --- A new eID card (LG-5) -------------------------------------------------------


def test_a_new_eid_card_logs_in_at_once_and_is_recorded_next_to_the_old_one(
    card_client, eid_provider, jan, pki
):
    new_card = pki.cert_der("jan-sign")
    eid_provider(new_card)

    response = card_client.post("/identity/login/eid/")
    response = card_client.get(response["Location"])

    assert response["Location"] == "/adminbox/"
    assert card_client.get("/messages/").status_code == 200
    certificates = EidCertificate.objects.filter(person=jan)
    assert certificates.count() == 2
    recorded = certificates.get(fingerprint=hashlib.sha256(new_card).hexdigest())
    assert "Jan Peeters (Signature)" in recorded.subject
    assert recorded.first_seen_at == T0
    event = AuditEvent.objects.get(
        name="identity.eid.certificate_recorded", data__fingerprint=recorded.fingerprint
    )
    assert event.subject_id == str(jan.pk) and event.data["known_certificates"] == 2
    assert IdentityLink.objects.filter(person=jan, method="eid").count() == 2


def test_the_old_card_still_works_and_records_nothing_new(
    card_client, eid_provider, jan, pki, clock
):
    eid_provider(pki.cert_der("jan-auth"))
    clock.shift(3600)

    card_client.get(card_client.post("/identity/login/eid/")["Location"])

    assert EidCertificate.objects.filter(person=jan).count() == 1
    assert EidCertificate.objects.get().last_seen_at == T0 + dt.timedelta(hours=1)
    assert AuditEvent.objects.filter(name="identity.eid.certificate_recorded").count() == 1


def test_a_new_card_also_serves_to_change_the_phone(card_client, send, eid_provider, jan, pki):
    eid_provider(pki.cert_der("jan-sign"))

    response = card_client.get(card_client.post("/register/new-phone/start/eid/")["Location"])
    assert response["Location"] == "/register/new-phone/number/"
    send(card_client.post, "/register/new-phone/number/", {"phone": NEW_PHONE})
    send(card_client.post, "/register/new-phone/code/", {"code": sms_code(NEW_PHONE)})

    jan.refresh_from_db()
    assert jan.phone == NEW_PHONE
    assert EidCertificate.objects.filter(person=jan).count() == 2


def test_a_certificate_of_another_national_number_is_never_recorded(jan, pki):
    with pytest.raises(ValueError):
        eid_certificate_record(
            person=jan, certificate_der=pki.cert_der("marie-auth"), context=SYSTEM
        )
    assert EidCertificate.objects.filter(person=jan).count() == 1


def test_claims_whose_card_belongs_to_someone_else_log_nobody_in(
    card_client, eid_provider, jan, pki
):
    eid_provider(pki.cert_der("marie-auth"))  # Marie's card, with Jan's number claimed

    response = card_client.get(card_client.post("/identity/login/eid/")["Location"])

    assert response.status_code == 400
    assert card_client.get("/messages/")["Location"].startswith("/account/login/")
    assert EidCertificate.objects.count() == 1


# --- Log-in with itsme (LG-1; a changed itsme account) -------------------------


def test_an_itsme_account_made_anew_is_linked_again(client, anne):
    IdentityLink.objects.create(person=anne, method="itsme", subject="the-old-sub")

    response = sandbox_itsme(client, "anne", start="/identity/login/itsme/")

    assert response["Location"] == "/adminbox/"
    link = IdentityLink.objects.get(person=anne, method="itsme")
    assert link.subject == ANNE.subject
    assert AuditEvent.objects.filter(name="identity.link.rebound", subject_id=str(anne.pk)).exists()


def test_the_log_in_page_offers_itsme_and_the_card_and_sends_idnow_people_to_the_sms(client):
    page = client.get("/account/login/?next=/adminbox/")
    html = page.content.decode()

    (card,) = find(page.content, "form", action="/identity/login/eid/")
    (itsme,) = find(page.content, "form", action="/identity/login/itsme/")
    assert "Log in with your eID card" in card.text and "Log in with itsme" in itsme.text
    # the SMS form, the card's and itsme's all keep where to go afterwards
    assert len(find(page.content, "input", name="next", value="/adminbox/")) == 3
    assert "Registered with IDnow? Log in with the code we send by SMS" in html


def test_the_log_in_page_itsme_button_logs_in_and_goes_to_next(client, anne):
    response = sandbox_itsme(
        client, "anne", start="/identity/login/itsme/", data={"next": "/adminbox/"}
    )

    assert response["Location"] == "/adminbox/"
    assert int(client.session["_auth_user_id"]) == anne.pk


def test_logging_in_with_itsme_needs_a_registration(client):
    response = sandbox_itsme(client, "lea", start="/identity/login/itsme/")

    assert response.status_code == 400
    assert "Register first" in response.content.decode()


# --- A new e-mail address (LG-3) -------------------------------------------------


def _step_up(client, identity="anne"):
    return sandbox_itsme(
        client, identity, start="/identity/step-up/itsme/", data={"next": "/identity/email/"}
    )


def test_after_an_sms_log_in_the_person_is_asked_to_confirm_with_itsme_or_eid(client, anne):
    client.force_login(anne)

    page = client.get("/identity/email/").content.decode()

    assert "first confirm who you are with itsme or your eID card" in page
    assert "+32 2 664 13 60" in page  # or the contact centre
    assert 'name="email"' not in page


def test_a_person_logged_in_with_itsme_changes_their_e_mail_address(client, send, anne):
    client.force_login(anne)
    old = anne.email
    assert _step_up(client)["Location"] == "/identity/email/"
    # Nothing typed yet: the form asks, it does not scold.
    first = client.get("/identity/email/").content.decode()
    assert 'name="email"' in first and "Enter your e-mail address" not in first
    assert 'aria-invalid="true"' not in first

    response = send(client.post, "/identity/email/", {"email": "anne@new.example.be"})
    assert response["Location"] == "/identity/email/code/"
    response = send(
        client.post, "/identity/email/code/", {"code": email_code("anne@new.example.be")}
    )

    assert response["Location"] == "/account/security/"
    anne.refresh_from_db()
    assert anne.email == "anne@new.example.be" and anne.email_verified_at == T0
    event = AuditEvent.objects.get(name="accounts.email.changed")
    assert event.data == {"old": old, "new": "anne@new.example.be", "by": "self"}
    subjects = set(
        SandboxMessage.objects.filter(
            subject="The e-mail address of your Paraph account was changed"
        ).values_list("to", flat=True)
    )
    assert subjects == {old, "anne@new.example.be"}


def test_the_e_mail_address_of_another_person_is_refused(client, send, anne):
    client.force_login(anne)
    _step_up(client)

    page = send(client.post, "/identity/email/", {"email": "jan.peeters@demo.paraph.be"})

    assert "This e-mail address belongs to another person" in page.content.decode()


def test_confirming_with_someone_elses_itsme_is_refused(client, anne):
    client.force_login(anne)

    response = _step_up(client, "jan")

    assert response.status_code == 400
    assert "not the one of the account you are logged in to" in response.content.decode()
    assert 'name="email"' not in client.get("/identity/email/").content.decode()


def test_the_confirmation_lasts_a_quarter_of_an_hour(client, anne, clock):
    client.force_login(anne)
    _step_up(client)
    assert 'name="email"' in client.get("/identity/email/").content.decode()

    clock.shift(16 * 60)

    assert 'name="email"' not in client.get("/identity/email/").content.decode()


def test_the_step_up_service_refuses_the_claims_of_someone_else(client, person_factory, anne):
    from paraph.identity.providers.itsme.sandbox import claims_for
    from paraph.identity.services import identity_step_up

    someone = person_factory(first_name="Paul", email="paul@example.be", phone="+32470200301")
    assert identity_step_up(person=someone, claims=claims_for(ANNE), context=SYSTEM) is False
    assert identity_step_up(person=anne, claims=claims_for(ANNE), context=SYSTEM) is True
