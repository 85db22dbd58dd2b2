"""A person who does not live in Belgium registers with IDnow (issue 14):
the customer file is matched by the address of her country (country, free
lines, postcode, town), not by a Belgian form with a box and a commune; a
Belgian resident keeps the Belgian form; and an address abroad never meets
a Belgian record, nor a Belgian address a record abroad."""

from __future__ import annotations

import pytest

from paraph.identity.models import CustomerRecord, RegistrationAttempt
from paraph.identity.providers import IdentityClaims
from paraph.identity.tests.registration_support import (
    MATCH,
    PHONE,
    STATIC_PROVIDER,
    StaticProvider,
    english_client,
)
from paraph.notifications.tests.conftest import find

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(settings, db):
    settings.IDENTITY_PROVIDERS = {**settings.IDENTITY_PROVIDERS, "idnow": STATIC_PROVIDER}
    StaticProvider.claims = IdentityClaims(
        method="idnow",
        subject="ident-sanne",
        assurance="substantial",
        given_name="Sanne Johanna",
        family_name="de Vries",
        document={"type": "PASSPORT", "country": "NL", "number": "NX1234567"},
    )
    client = english_client()
    started = client.post("/register/start/idnow/")
    assert client.get(started["Location"])["Location"] == MATCH
    return client


@pytest.fixture
def sanne():
    return CustomerRecord.objects.create(
        external_id="C-NL-1",
        first_name="Sanne",
        last_name="de Vries",
        street="Prinsengracht",
        house_number="263",
        box="",
        postal_code="1016 GV",
        municipality="Amsterdam",
        country="NL",
    )


def confirm(client, **typed: str):
    values = {"country": "NL", "line1": "", "line2": "", "postal_code": "", "town": ""}
    values.update(typed)
    return client.post(
        MATCH,
        {"action": "foreign_address", **{f"foreign-{k}": v for k, v in values.items()}},
    )


def field_errors(response) -> list[str]:
    return [e.text.strip() for e in find(response.content, "li")]


def test_after_idnow_the_page_asks_for_the_address_of_her_country(client):
    page = client.get(MATCH)
    text = page.content.decode()

    assert find(page.content, "form", data_testid="foreign-address-form")
    assert not find(page.content, "form", data_testid="belgian-address-form")
    assert "Box (if any)" not in text
    assert "In French, Dutch or German" not in text
    selected = [e.attrs.get("value") for e in find(page.content, "option") if "selected" in e.attrs]
    assert "NL" in selected  # her document's country, to confirm
    assert "Netherlands" in text
    assert "Town or city" in text and "Postcode" in text


def test_she_is_found_by_her_address_abroad(client, sanne):
    response = confirm(client, line1="Prinsengracht 263", postal_code="1016gv", town="amsterdam")

    assert response.status_code == 302 and response["Location"] == PHONE
    assert RegistrationAttempt.objects.get().customer == sanne


def test_the_number_before_the_street_is_her_country_s_way_too(client):
    record = CustomerRecord.objects.create(
        external_id="C-FR-1",
        last_name="de Vries",
        street="rue de Rivoli",
        house_number="12",
        postal_code="75001",
        municipality="Paris",
        country="FR",
    )

    response = confirm(
        client, country="FR", line1="12, Rue de Rivoli", postal_code="75001", town="Paris"
    )

    assert response["Location"] == PHONE
    assert RegistrationAttempt.objects.get().customer == record


@pytest.mark.parametrize(
    "typed",
    [
        {"line1": "Prinsengracht 265", "postal_code": "1016 GV", "town": "Amsterdam"},
        {"line1": "Prinsengracht 263", "postal_code": "1016 GW", "town": "Amsterdam"},
        {"line1": "Prinsengracht 263", "postal_code": "1016 GV", "town": "Rotterdam"},
        {"line1": "Prinsen gracht 263", "postal_code": "1016 GV", "town": "Amsterdam"},
        {"country": "BE", "line1": "Prinsengracht 263", "postal_code": "1016", "town": "X"},
    ],
    ids=["number", "postcode", "town", "street-words", "belgium"],
)
def test_anything_else_is_a_miss(client, sanne, typed):
    response = confirm(client, **typed)

    assert response.status_code == 200
    assert RegistrationAttempt.objects.get().customer is None


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ({"line1": ""}, "Enter your street and number."),
        ({"postal_code": "ABCDE"}, "This is not written as a postcode of the country you chose."),
        ({"postal_code": ""}, "Enter your postcode."),
        ({"town": "1234"}, "Enter the name of your town or city."),
        ({"country": "XX"}, "Choose the country you live in from the list."),
    ],
)
def test_what_is_wrong_is_said_and_costs_no_try(client, typed, error):
    values = {"line1": "Prinsengracht 263", "postal_code": "1016 GV", "town": "Amsterdam"}
    values.update(typed)

    response = confirm(client, **values)

    assert error in field_errors(response)
    assert RegistrationAttempt.objects.get().match_tries == 0


def test_a_belgian_resident_chooses_the_belgian_form(client):
    page = client.get(f"{MATCH}?residence=be")

    assert find(page.content, "form", data_testid="belgian-address-form")
    assert "Box (if any)" in page.content.decode()


def test_a_belgian_address_never_meets_a_record_abroad(client):
    CustomerRecord.objects.create(
        external_id="C-SI-1",
        last_name="de Vries",
        street="Rue de la Loi",
        house_number="16",
        postal_code="1000",
        municipality="Bruxelles",
        country="SI",
    )

    response = client.post(
        MATCH,
        {
            "action": "address",
            "address-street": "Rue de la Loi",
            "address-house_number": "16",
            "address-box": "",
            "address-postal_code": "1000",
            "address-municipality": "Bruxelles",
        },
    )

    assert response.status_code == 200
    assert RegistrationAttempt.objects.get().customer is None


def test_the_customer_file_takes_addresses_abroad_and_checks_their_postcode(tmp_path):
    from paraph.identity.tests.test_customer_file import run

    _out, err, failed = run(
        tmp_path,
        "customer_id,last_name,first_name,street,house_number,postal_code,municipality,country\n"
        "C-NL-2,Jansen,Eva,Keizersgracht,1,1015 CJ,Amsterdam,nl\n"
        "C-DE-1,Weber,Jonas,Hauptstraße,5,1234,Köln,DE\n"
        "C-BE-9,Peeters,Jan,Kerkstraat,2,9000,Gent,\n",
    )

    assert "line 3" in err and "is not a postcode of DE" in err
    assert failed  # a refused row ends the command in error
    eva = CustomerRecord.objects.get(external_id="C-NL-2")
    assert (eva.country, eva.postal_code, eva.address_key) == ("NL", "1015 CJ", "")
    assert CustomerRecord.objects.get(external_id="C-BE-9").country == "BE"
