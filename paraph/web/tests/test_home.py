"""The home page and the header lead a newcomer somewhere: to registration
(LG-1: nobody logs in before registering) and, for an organisation that
sends contracts, to the "interested? contact us" page (ES-14)."""

import html
import re

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

# What a visitor reads on the links, in each language.
LABELS = {
    "en": {
        "register": "Register",
        "senders": "For organisations",
        "pitch": "Interested? Contact us",
    },
    "fr": {
        "register": "S'enregistrer",
        "senders": "Pour les organisations",
        "pitch": "Cela vous intéresse\u00a0? Contactez-nous",
    },
    "nl": {
        "register": "Registreren",
        "senders": "Voor organisaties",
        "pitch": "Interesse? Neem contact met ons op",
    },
    "de": {
        "register": "Registrieren",
        "senders": "Für Organisationen",
        "pitch": "Interessiert? Kontaktieren Sie uns",
    },
}


def _words(text: str) -> str:
    """Spaces folded, the no-break ones of French punctuation included."""
    return " ".join(text.split())


def _links(fragment: str) -> list[tuple[str, str]]:
    """(href, visible text) of every link in an HTML fragment."""
    return [
        (html.unescape(href), _words(html.unescape(re.sub(r"<[^>]+>", "", text))))
        for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', fragment, re.S)
    ]


def _header_and_main(client, language: str) -> tuple[str, str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    body = response.content.decode()
    header = body.split('<header class="site-header">')[1].split("</header>")[0]
    main = body.split('<main id="main"')[1].split("</main>")[0]
    return header, main


@pytest.mark.parametrize("language", list(LABELS))
def test_a_visitor_finds_how_to_register_in_the_header_and_on_the_home_page(client, language):
    header, main = _header_and_main(client, language)
    register = (reverse("identity:register"), _words(LABELS[language]["register"]))

    assert register in _links(header)
    assert register in _links(main)


@pytest.mark.parametrize("language", list(LABELS))
def test_an_organisation_finds_the_senders_contact_page_from_the_home_page(client, language):
    header, main = _header_and_main(client, language)
    contact = reverse("senders:contact")

    assert (contact, _words(LABELS[language]["senders"])) in _links(header)
    assert (contact, _words(LABELS[language]["pitch"])) in _links(main)


def test_a_logged_in_person_is_not_offered_to_register(client, person):
    client.force_login(person)
    header, main = _header_and_main(client, "en")

    assert reverse("identity:register") not in header + main
