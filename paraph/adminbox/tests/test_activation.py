"""Activating an adminbox from the e-mail of a first contract (ES-3, ES-4,
FLOWS.md "Adminbox activation"): the link proves the address, an SMS code
proves the phone, and the person lands, logged in, on their contract."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from paraph.accounts.models import Person
from paraph.accounts.tests.helpers import last_code, sms_to, wrong
from paraph.audit.models import AuditEvent
from paraph.contracts.models import AccessLink
from paraph.contracts.selectors import adminbox_is_active

pytestmark = pytest.mark.django_db

PHONE = "+32470123456"
LINK = re.compile(r"http://testserver(/adminbox/(?:activate|contracts)/[A-Za-z0-9_-]{43}/)")


@pytest.fixture
def new_contract(make_contract, deliver, clock):
    """A first contract for an address without an adminbox, in English."""
    with deliver():
        return make_contract(recipient={"email": "new@example.be", "language": "en"})


def _email_links(address: str) -> list[str]:
    (message,) = [m for m in mail.outbox if address in m.to]
    return LINK.findall(str(message.body))


def _activate(client, path, deliver, phone="0470 12 34 56", consent=False):
    response = client.get(path)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/adminbox/activation/phone/"
    with deliver():
        response = client.post(
            "/adminbox/activation/phone/",
            {"phone": phone, **({"consent_other_uses": "on"} if consent else {})},
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/adminbox/activation/code/"
    return response


def test_the_activation_link_proves_the_address_and_phone_and_opens_the_contract(
    new_contract, en_client, deliver
):
    activate_path, _contract_path = _email_links("new@example.be")
    _activate(en_client, activate_path, deliver)

    page = en_client.get("/adminbox/activation/code/")
    assert "We sent a code by SMS to +32 *** ** 34 56." in page.content.decode()
    response = en_client.post("/adminbox/activation/code/", {"code": last_code(PHONE)})

    assert response.status_code == 302
    assert response["Location"] == f"/adminbox/contract/{new_contract.public_id}/"
    person = Person.objects.get(email="new@example.be")
    assert adminbox_is_active(person)
    assert person.phone == PHONE
    assert AccessLink.objects.get(person=person, purpose="activate").used_at is not None
    assert AuditEvent.objects.filter(name="adminbox.activation.activated").count() == 1
    # Logged in: the contract page opens, in the person's language.
    contract_page = en_client.get(response["Location"])
    assert contract_page.status_code == 200
    assert "Read the contract again, then sign." in contract_page.content.decode()


def test_the_phone_the_sender_gave_is_prefilled(new_contract, en_client, deliver):
    activate_path, _ = _email_links("new@example.be")
    en_client.get(activate_path)
    page = en_client.get("/adminbox/activation/phone/").content.decode()
    assert 'value="+32470123456"' in page
    assert "new@example.be" in page


def test_an_international_mobile_number_works(new_contract, en_client, deliver):
    activate_path, _ = _email_links("new@example.be")
    _activate(en_client, activate_path, deliver, phone="+33 6 12 34 56 78")
    en_client.post("/adminbox/activation/code/", {"code": last_code("+33612345678")})
    assert Person.objects.get(email="new@example.be").phone == "+33612345678"


def test_a_fixed_line_is_refused_with_a_clear_message(new_contract, en_client):
    activate_path, _ = _email_links("new@example.be")
    en_client.get(activate_path)
    response = en_client.post("/adminbox/activation/phone/", {"phone": "02 555 12 12"})
    assert response.status_code == 200
    assert "Enter a mobile number" in response.content.decode()


def test_an_unknown_link_says_so(en_client, db):
    response = en_client.get("/adminbox/activate/" + "A" * 43 + "/")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_an_expired_link_says_so(new_contract, en_client, clock, settings):
    activate_path, _ = _email_links("new@example.be")
    clock.shift(settings.CONTRACT_LINK_DAYS * 86400 + 1)
    response = en_client.get(activate_path)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_a_replayed_activation_link_says_log_in_instead(new_contract, en_client, deliver):
    activate_path, _ = _email_links("new@example.be")
    _activate(en_client, activate_path, deliver)
    en_client.post("/adminbox/activation/code/", {"code": last_code(PHONE)})

    other_browser = type(en_client)()
    other_browser.cookies["paraph_language"] = "en"
    response = other_browser.get(activate_path)
    assert response.status_code == 410
    body = response.content.decode()
    assert "This link was already used" in body and "Log in instead" in body


def test_following_the_link_changes_nothing_until_the_code_is_typed(new_contract, en_client):
    activate_path, _ = _email_links("new@example.be")
    en_client.get(activate_path)  # a mail scanner would do just this
    person = Person.objects.get(email="new@example.be")
    assert person.email_verified_at is None and person.phone_verified_at is None
    assert AccessLink.objects.get(person=person, purpose="activate").used_at is None


def test_a_wrong_code_costs_a_try_and_activates_nothing(new_contract, en_client, deliver):
    activate_path, _ = _email_links("new@example.be")
    _activate(en_client, activate_path, deliver)
    response = en_client.post("/adminbox/activation/code/", {"code": wrong(last_code(PHONE))})
    assert response.status_code == 200
    assert "This code is not correct. You can try 4 more times." in response.content.decode()
    person = Person.objects.get(email="new@example.be")
    assert not adminbox_is_active(person)
    assert person.failed_login_count == 1
    assert "_auth_user_id" not in en_client.session


def test_repeated_wrong_codes_lock_the_activation_out(new_contract, en_client, deliver, settings):
    settings.LOGIN_LOCKOUT_FAILURES = 3
    activate_path, _ = _email_links("new@example.be")
    _activate(en_client, activate_path, deliver)
    code = last_code(PHONE)
    for _ in range(2):
        en_client.post("/adminbox/activation/code/", {"code": wrong(code)})
    response = en_client.post("/adminbox/activation/code/", {"code": wrong(code)})
    assert response.status_code == 403
    person = Person.objects.get(email="new@example.be")
    assert person.is_locked()
    # Locked: even the right code and a fresh start are refused.
    en_client.get(activate_path)
    response = en_client.post("/adminbox/activation/phone/", {"phone": "0470 12 34 56"})
    assert response.status_code == 403
    assert not adminbox_is_active(Person.objects.get(pk=person.pk))


def test_a_phone_of_another_person_is_not_revealed_and_activates_nothing(
    new_contract, en_client, person_factory, deliver
):
    # Saying "this number belongs to another person" here would tell any
    # visitor which numbers are registered: the number gets its code as any
    # other, and only whoever holds the phone learns more
    # (test_second_address.py).
    person_factory(phone="+32470999888")
    activate_path, _ = _email_links("new@example.be")
    en_client.get(activate_path)
    with deliver():
        response = en_client.post("/adminbox/activation/phone/", {"phone": "0470 99 98 88"})
    assert response.status_code == 302
    assert response["Location"] == "/adminbox/activation/code/"
    proven = en_client.post("/adminbox/activation/code/", {"code": last_code("+32470999888")})
    assert proven.status_code == 409
    assert not adminbox_is_active(Person.objects.get(email="new@example.be"))


def test_codes_are_rate_limited(new_contract, en_client, deliver):
    activate_path, _ = _email_links("new@example.be")
    en_client.get(activate_path)
    statuses = []
    for _ in range(12):
        with deliver():
            statuses.append(
                en_client.post(
                    "/adminbox/activation/phone/", {"phone": "0470 12 34 56"}
                ).status_code
            )
    assert statuses[:10] == [302] * 10
    assert statuses[-1] == 429
    assert len(sms_to(PHONE)) == 10


def test_the_session_that_followed_the_link_is_needed(new_contract, en_client, deliver):
    activate_path, _ = _email_links("new@example.be")
    _activate(en_client, activate_path, deliver)
    stranger = type(en_client)()
    response = stranger.post("/adminbox/activation/code/", {"code": last_code(PHONE)})
    assert response.status_code == 410
    assert not adminbox_is_active(Person.objects.get(email="new@example.be"))


def test_an_active_adminbox_is_not_activated_again(new_contract, en_client, activated):
    activated(new_contract.recipient)
    activate_path, _ = _email_links("new@example.be")
    response = en_client.get(activate_path)
    assert response.status_code == 410
    assert "Your adminbox is already active" in response.content.decode()


def test_a_link_of_another_address_does_not_switch_the_session(
    new_contract, person_factory, logged_in
):
    """Logged in to her own adminbox, Marie follows the activation link of
    another address: she is asked what she wants (merge, or log out and
    follow it again), and stays herself."""
    marie = person_factory(first_name="Marie", email="marie@example.be")
    client = logged_in(marie)

    for path in _email_links("new@example.be"):
        response = client.get(path)

        assert response.status_code == 403, path
        page = response.content.decode()
        assert "This link is for another adminbox" in page
        assert "merge your adminboxes" in page
        assert int(client.session["_auth_user_id"]) == marie.pk
        assert "paraph_adminbox_activation" not in client.session
