"""A person sent a contract without a national number (issue 14): her pages
agree that the eID card cannot sign for her yet, none speaks of a foreign
document she never used, and the contract page offers what makes the card
work: registering with it once, which completes her adminbox and brings her
back to the contract, where the card then signs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod
from paraph.contracts.models import Contract
from paraph.identity.providers import IdentityClaims
from paraph.identity.tests.registration_support import (
    EMAIL,
    EMAIL_CODE,
    PHONE,
    PHONE_CODE,
    STATIC_PROVIDER,
    StaticProvider,
    email_code,
    sms_code,
)

pytestmark = pytest.mark.django_db

NATIONAL_NUMBER = "85073003328"


@pytest.fixture
def sofie(make_contract: Any, activated: Any) -> tuple[Person, Contract]:
    """Sofie, sent a contract with her e-mail address and phone only, who
    opened her adminbox from the e-mail."""
    contract = make_contract(
        recipient={
            "first_name": "Sofie",
            "last_name": "Claes",
            "email": "sofie@example.be",
            "phone": "+32470123987",
        },
        start_of_work=(timezone.now() + dt.timedelta(days=30)).isoformat(),
    )
    person = activated(contract.recipient)
    assert not person.national_number and person.registered_at is None
    return person, contract


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_her_pages_agree_and_offer_registering_with_the_card(sofie: Any, logged_in: Any) -> None:
    person, contract = sofie
    client = logged_in(person)

    contract_page = _page(client, f"/adminbox/contract/{contract.public_id}/")
    preferences = _page(client, "/adminbox/preferences/")
    mandate_start = _page(client, "/adminbox/mandate/")
    card_page = _page(client, reverse("adminbox:sign_eid", args=[contract.public_id]))

    assert "foreign identity document" not in contract_page
    assert 'data-testid="sign-eid"' not in contract_page
    assert 'data-testid="eid-register-offer"' in contract_page
    assert "Register once with your eID card" in contract_page
    assert "you sign with your eID card" not in preferences
    assert "You have no mandate yet." in preferences
    assert 'data-testid="eid-register-hint"' in preferences
    assert "You can always sign with your eID card instead." not in mandate_start
    assert 'data-testid="eid-register-offer"' in card_page
    # The preferences' link: the registration page, for her, not "already registered".
    register = _page(client, "/register/?next=/adminbox/preferences/")
    assert 'data-testid="register-completing"' in register
    assert 'name="next" value="/adminbox/preferences/"' in register
    assert "Sign with a password instead" not in card_page.split("eid-register-offer")[0]


def test_registering_with_the_card_completes_her_adminbox_and_the_card_then_signs(
    sofie: Any, logged_in: Any, settings: Any, deliver: Any, sandbox_email: Any
) -> None:
    settings.IDENTITY_PROVIDERS = {**settings.IDENTITY_PROVIDERS, "eid": STATIC_PROVIDER}
    person, contract = sofie
    StaticProvider.claims = IdentityClaims(
        method="eid",
        subject="eid-sofie",
        assurance=AssuranceLevel.HIGH,
        given_name="Sofie",
        family_name="Claes",
        national_number=NATIONAL_NUMBER,
    )
    client = logged_in(person)
    contract_url = f"/adminbox/contract/{contract.public_id}/"

    started = client.post("/register/start/eid/", {"next": contract_url})
    claims = client.get(started["Location"])
    assert claims["Location"] in ("/register/phone/", "/register/match/"), claims
    if claims["Location"] == "/register/match/":
        client.post("/register/match/", {"action": "new_customer"})
    phone_page = _page(client, PHONE)
    assert "+32470123987" in phone_page  # her own number, proposed
    with deliver():
        client.post(PHONE, {"phone": "+32470123987"})
    assert client.post(PHONE_CODE, {"code": sms_code("+32470123987")})["Location"] == EMAIL
    assert "sofie@example.be" in _page(client, EMAIL)
    with deliver():
        client.post(EMAIL, {"email": "sofie@example.be"})
    done = client.post(EMAIL_CODE, {"code": email_code("sofie@example.be")})

    assert done["Location"] == contract_url
    person.refresh_from_db()
    assert Person.objects.filter(email="sofie@example.be").count() == 1
    assert person.national_number == NATIONAL_NUMBER
    assert person.registration_method == RegistrationMethod.EID
    assert client.session["_auth_user_id"] == str(person.pk)
    page = _page(client, contract_url)
    assert 'data-testid="sign-eid"' in page
    assert 'data-testid="eid-register-offer"' not in page


def test_a_person_registered_with_a_foreign_document_is_told_so(sofie: Any, logged_in: Any) -> None:
    person, contract = sofie
    Person.objects.filter(pk=person.pk).update(
        registration_method=RegistrationMethod.IDNOW,
        assurance_level=AssuranceLevel.SUBSTANTIAL,
        registered_at=timezone.now(),
    )
    page = _page(logged_in(person), f"/adminbox/contract/{contract.public_id}/")

    assert "You registered with a foreign identity document" in page
    assert 'data-testid="eid-register-offer"' not in page
