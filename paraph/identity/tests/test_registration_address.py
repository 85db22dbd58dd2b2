"""Registration matched by the address the person confirms (RG-2), through
the sandbox itsme and the Django test client: what people type for their
own address finds their customer record, and nothing else does (see
``identity.matching`` for the rules, ``test_matching.py`` for their
properties)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from paraph.identity.models import CustomerRecord, RegistrationAttempt
from paraph.identity.providers.itsme.sandbox import IDENTITIES_BY_KEY
from paraph.identity.tests.registration_support import (
    MATCH,
    PHONE,
    T0,
    english_client,
    sandbox_itsme,
)

pytestmark = pytest.mark.django_db

PIETER = IDENTITIES_BY_KEY["pieter"]


@pytest.fixture
def client(time_machine, sandbox_email):
    time_machine.move_to(T0, tick=False)
    call_command("demo", stdout=io.StringIO())
    return english_client()


def pieter_lives_at(**address: str) -> None:
    """Pieter's customer record (C-1004, no national number: he is matched
    by his address) moved to ``address``."""
    record = CustomerRecord.objects.get(external_id="C-1004")
    for field, value in address.items():
        setattr(record, field, value)
    record.save()


def confirm(client, street, number, box, postcode, municipality):
    sandbox_itsme(client, "pieter")
    return client.post(
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


def matched(response) -> bool:
    attempt = RegistrationAttempt.objects.get(national_number=PIETER.national_number)
    if response.status_code == 302 and response["Location"] == PHONE:
        assert attempt.customer is not None and attempt.customer.external_id == "C-1004"
        return True
    assert attempt.customer is None
    assert "You have 2 tries left." in response.content.decode()
    return False


BRUSSELS = {
    "street": "Rue de la Loi",
    "house_number": "16",
    "box": "3",
    "postal_code": "1040",
    "municipality": "Etterbeek",
}


@pytest.mark.parametrize(
    ("street", "number", "box", "postcode", "municipality"),
    [
        ("Wetstraat", "16", "bus 3", "1040", "Etterbeek"),  # the Dutch name
        ("Rue de la Loi", "16", "bte 3", "1040", "Bruxelles"),  # the region
        ("wetstr.", "016", "3", "1040", "Brussel"),  # leading zero, Dutch region
        ("Rue de la Loi", "16 bus 3", "", "1040", "Etterbeek"),
    ],
)
def test_pieter_in_brussels_is_found_in_either_language(
    client, street, number, box, postcode, municipality
):
    pieter_lives_at(**BRUSSELS)

    assert matched(confirm(client, street, number, box, postcode, municipality))


@pytest.mark.parametrize(
    ("street", "number", "box", "postcode", "municipality"),
    [
        ("Rue de la Loi", "16", "bte 3", "1040", "Ixelles"),  # another postcode's area
        ("Rue de la Loi", "16", "bte 3", "1050", "Etterbeek"),
        ("Wetstraat", "16", "3", "9000", "Gent"),  # not Brussels: another street
        ("Rue de la Loi", "16", "bte 30", "1040", "Etterbeek"),
        ("Rue de la Loi", "16", "B3", "1040", "Etterbeek"),
        ("Rue de la Loi", "16", "", "1040", "Etterbeek"),
        ("Wetlaan", "16", "3", "1040", "Etterbeek"),
    ],
)
def test_someone_else_s_address_in_brussels_is_not_pieter_s(
    client, street, number, box, postcode, municipality
):
    pieter_lives_at(**BRUSSELS)

    assert not matched(confirm(client, street, number, box, postcode, municipality))


def test_a_dash_for_street_and_number_does_not_find_a_record_without_them(client):
    pieter_lives_at(street="", house_number="", box="", postal_code="9000", municipality="Gent")

    assert not matched(confirm(client, "-", "-", "", "9000", "Gent"))


def test_a_box_letter_typed_is_not_dropped(client):
    pieter_lives_at(box="")  # Kerkstraat 12, 9000 Gent: no box

    assert not matched(confirm(client, "Kerkstraat", "12", "bte B", "9000", "Gent"))


def test_a_record_with_a_box_letter_is_not_found_without_it(client):
    pieter_lives_at(box="B")

    assert not matched(confirm(client, "Kerkstraat", "12", "", "9000", "Gent"))


@pytest.mark.parametrize("box", ["B", "bte B", "b.", "bus b"])
def test_a_box_letter_is_found_however_it_is_written(client, box):
    pieter_lives_at(box="B")

    assert matched(confirm(client, "Kerkstraat", "12", box, "9000", "Gent"))


@pytest.mark.parametrize("number", ["12/14", "12-14", "12 - 14"])
def test_a_range_is_found_written_with_a_slash_or_a_dash(client, number):
    pieter_lives_at(house_number="12-14", box="")

    assert matched(confirm(client, "Kerkstraat", number, "", "9000", "Gent"))


def test_a_section_for_its_municipality(client):
    pieter_lives_at(postal_code="9050", municipality="Gentbrugge", box="")

    assert matched(confirm(client, "Kerkstraat", "12", "", "9050", "Gent"))


def test_the_kept_ways_of_writing_still_find_pieter(client):
    """Kerkstraat 12 bus 3, 9000 Gent, written the French way."""
    assert matched(confirm(client, "kerkstr.", "12/3", "", "B-9000", "Gand"))
