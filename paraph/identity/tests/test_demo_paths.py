"""Every registration path that ``paraph demo`` announces can be tried
with its data: the sandbox IDnow's identity is in the customer file under
its client reference, Pieter is found by his address and by his reference,
Marie by her national number, Léa is in no record."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from paraph.identity.models import RegistrationAttempt
from paraph.identity.providers.idnow.sandbox import DEMO_IDENTITY
from paraph.identity.tests.registration_support import MATCH, PHONE, english_client, sandbox_itsme

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    call_command("demo", stdout=io.StringIO())
    return english_client()


def _match(client, data):
    response = client.post(MATCH, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_the_sandbox_idnow_identity_is_found_by_its_reference(client):
    assert client.post("/register/start/idnow/")["Location"] == "/register/idnow/start/"
    form = {
        **{key: DEMO_IDENTITY[key] for key in ("country", "document_type", "email")},
        "given_name": DEMO_IDENTITY["given_name"],
        "family_name": DEMO_IDENTITY["family_name"],
        "birth_date": _birth_date(),
    }
    assert client.post("/register/idnow/start/", form)["Location"] == "/register/idnow/sandbox/"
    client.post("/register/idnow/sandbox/", {"outcome": "happy"})
    onward = client.post("/register/idnow/continue/")
    assert client.get(onward["Location"])["Location"] == MATCH

    assert _match(client, {"action": "reference", "ref-reference": "405060708"}) == PHONE
    assert _customer_id() == "C-2001"


def test_the_sandbox_idnow_identity_is_found_by_her_address_in_amsterdam(client):
    assert client.post("/register/start/idnow/")["Location"] == "/register/idnow/start/"
    form = {
        **{key: DEMO_IDENTITY[key] for key in ("country", "document_type", "email")},
        "given_name": DEMO_IDENTITY["given_name"],
        "family_name": DEMO_IDENTITY["family_name"],
        "birth_date": _birth_date(),
    }
    client.post("/register/idnow/start/", form)
    client.post("/register/idnow/sandbox/", {"outcome": "happy"})
    client.get(client.post("/register/idnow/continue/")["Location"])
    address = {
        "foreign-country": "NL",
        "foreign-line1": "Prinsengracht 263",
        "foreign-line2": "",
        "foreign-postal_code": "1016 GV",
        "foreign-town": "Amsterdam",
    }

    assert _match(client, {"action": "foreign_address", **address}) == PHONE
    assert _customer_id() == "C-2001"


def test_pieter_is_found_by_his_address_written_another_way(client):
    assert sandbox_itsme(client, "pieter")["Location"] == MATCH
    address = {
        "address-street": "Kerkstr.",
        "address-house_number": "12",
        "address-box": "bte 3",
        "address-postal_code": "9000",
        "address-municipality": "Gand",
    }
    assert _match(client, {"action": "address", **address}) == PHONE
    assert _customer_id() == "C-1004"


@pytest.mark.parametrize("typed", ["123456789", "12.3456.789", "12-3456/789"])
def test_pieter_is_found_by_his_reference_with_any_separators(client, typed):
    assert sandbox_itsme(client, "pieter")["Location"] == MATCH
    assert _match(client, {"action": "reference", "ref-reference": typed}) == PHONE


def test_marie_is_found_by_her_national_number_and_lea_is_not_in_the_file(client):
    assert sandbox_itsme(client, "marie")["Location"] == PHONE
    other = english_client()
    assert sandbox_itsme(other, "lea")["Location"] == MATCH


def _birth_date() -> str:
    birth = DEMO_IDENTITY["birth_date"]
    assert isinstance(birth, dt.date)
    return birth.isoformat()


def _customer_id() -> str:
    customer = RegistrationAttempt.objects.get().customer
    assert customer is not None, "no customer record matched"
    return customer.external_id
