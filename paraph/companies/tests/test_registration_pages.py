"""Registering a company through its pages (CO-1, CO-2), as a person sees
them in French and in English."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.audit.models import AuditEvent
from paraph.companies import services
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.models import CorrectionRequest, RegisteredCompany
from paraph.companies.tests.conftest import write_csv

pytestmark = pytest.mark.django_db

URL = "/company/registration/"


@pytest.fixture(autouse=True)
def register(db: Any) -> None:
    services.kbo_import(directory=DEMO_KBO_DIR)


def _client(person_factory: Any, language: str, **fields: Any) -> tuple[Client, Any]:
    values = {
        "assurance_level": AssuranceLevel.HIGH,
        "registration_method": RegistrationMethod.EID,
        "language": language,
        **fields,
    }
    person = person_factory(**values)
    client = Client()
    client.force_login(person)
    return client, person


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_pages_are_linked_from_the_home_and_account_pages(person_factory):
    client, _person = _client(person_factory, "en")

    assert URL in client.get("/").content.decode()
    assert URL in client.get(reverse("accounts:security")).content.decode()


def test_a_representative_registers_a_company_in_english(person_factory):
    client, person = _client(person_factory, "en")

    form = client.get(URL)
    shown = client.post(URL, {"number": "BE 0123 456 749"})
    done = client.post(URL, {"number": "0123456749", "correction": "", "confirm": "1"}, follow=True)

    assert 'for="id_number"' in form.content.decode()
    page = _text(shown)
    assert "Is this your company?" in page
    for fact in (
        "0123.456.749",
        "Intérim Demo",
        "Interim Demo",
        "Rue de la Loi 200",
        "1040 Etterbeek",
    ):
        assert fact in page
    assert RegisteredCompany.objects.get().representative == person
    assert (
        "Intérim Demo (0123.456.749) is registered: you are its digital representative."
        in _text(done)
    )
    assert "My companies" in _text(done)


def test_the_data_shows_in_french_with_a_correction_filed_in_the_same_step(person_factory):
    client, person = _client(person_factory, "fr")

    shown = client.post(URL, {"number": "0123.456.749"})
    done = client.post(
        URL,
        {"number": "0123456749", "correction": "L'adresse a changé.", "confirm": "1"},
        follow=True,
    )

    assert '<html lang="fr">' in shown.content.decode()
    assert "Rue de la Loi 200" in _text(shown)
    correction = CorrectionRequest.objects.get()
    assert (correction.text, correction.filed_by, correction.intermediary) == (
        "L'adresse a changé.",
        person,
        None,
    )
    assert "L&#x27;adresse a changé." in _text(done)
    assert AuditEvent.objects.filter(name="companies.correction.filed").count() == 1


@pytest.mark.parametrize(
    ("language", "number", "says"),
    [
        ("fr", "", "Introduisez le numéro d'entreprise."),
        ("en", "", "Enter the enterprise number."),
        ("en", "0123.456.748", "check the last two digits"),
        ("en", "0403.617.097", "no active company with number 0403.617.097"),
    ],
)
def test_a_wrong_number_is_shown_next_to_the_field(person_factory, language, number, says):
    client, _person = _client(person_factory, language)

    response = client.post(URL, {"number": number})

    page = response.content.decode()
    assert response.status_code == 400
    assert says.replace("'", "&#x27;") in page
    assert 'id="id_number_error"' in page
    assert re.search(r'aria-describedby="[^"]*id_number_error', page)
    assert 'role="alert"' in page and '<a href="#id_number">' in page
    assert not RegisteredCompany.objects.exists()


def test_a_company_registered_by_someone_else_says_whom_to_ask(person_factory):
    first, person = _client(person_factory, "en")
    first.post(URL, {"number": "0123456749", "confirm": "1"})
    second, _other = _client(person_factory, "en")

    response = second.post(URL, {"number": "0123456749", "confirm": "1"})

    assert response.status_code == 400
    assert "already registered on Paraph" in _text(response)
    assert person.get_full_name() in _text(response)
    assert RegisteredCompany.objects.get().representative == person


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_person_without_itsme_or_eid_is_told_how_to_get_it(person_factory, language):
    client, _person = _client(
        person_factory,
        language,
        assurance_level=AssuranceLevel.SUBSTANTIAL,
        registration_method=RegistrationMethod.IDNOW,
    )

    get = client.get(URL)
    post = client.post(URL, {"number": "0123456749", "confirm": "1"})

    assert get.status_code == post.status_code == 403
    assert f'<html lang="{language}">' in get.content.decode()
    if language == "en":
        assert "Only a person registered with itsme or the eID card" in _text(get)
    assert reverse("support:contact") in get.content.decode()
    assert not RegisteredCompany.objects.exists()


def test_logged_out_people_are_sent_to_log_in():
    response = Client().get(URL)

    assert response.status_code == 302 and "login" in response["Location"]


def test_a_code_without_description_is_named_as_a_code_not_shown_bare(
    person_factory, update_folder
):
    """The register describes every code in French and Dutch, most in
    German: a page in German shows another language's description; a code
    with none at all reads "code 030", never a bare "(030)"."""
    from paraph.companies.demo import DEMO_KBO_DIR
    from paraph.companies.tests.conftest import read_csv

    folder = update_folder(
        delete={"enterprise": ["0812.345.603", "0456.789.034"]},
        insert={
            "enterprise": [
                ["0812.345.603", "AC", "000", "2", "030", "", "04-05-2011"],
                ["0456.789.034", "AC", "000", "2", "016", "", "17-10-1995"],
            ]
        },
    )
    codes = read_csv(DEMO_KBO_DIR / "code.csv")
    codes.append(["JuridicalForm", "016", "NL", "Coöperatieve vennootschap"])
    write_csv(folder / "code.csv", codes[0], codes[1:])
    services.kbo_import(directory=folder)
    client, _person = _client(person_factory, "en")

    undescribed = _text(client.post(URL, {"number": "0812.345.603"}))
    other_language = _text(client.post(URL, {"number": "0456.789.034"}))

    assert "<dt>Legal form</dt><dd>code 030</dd>" in undescribed
    assert "<dt>Legal form</dt><dd>Coöperatieve vennootschap</dd>" in other_language
