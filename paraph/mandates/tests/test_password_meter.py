"""The strength meter asks the server, which answers with the rules the
form applies: a password the form refuses is never shown as strong.
(The browser side: test_browser.py.)"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from paraph.mandates.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CHECK = reverse("mandates:password_check")


@pytest.fixture
def marie(person_factory):
    return person_factory(first_name="Marie", last_name="Dubois", language="en")


@pytest.fixture
def marie_client(marie):
    client = Client(enforce_csrf_checks=True)
    client.force_login(marie)
    client.cookies["paraph_language"] = "en"
    client.get(reverse("web:home"))  # a CSRF cookie, as the page gives
    return client


def _check(client, password):
    token = client.cookies[settings.CSRF_COOKIE_NAME].value  # the form's token does as well
    return client.post(CHECK, {"password": password}, HTTP_X_CSRFTOKEN=token)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("MarieDubois2026", "must not contain your name"),
        ("P4ssw0rd1234!", "too common or too easy to guess"),
        ("Paraph-is-great-2026", "must not contain the word Paraph"),
        ("short", "at least 12 characters"),
    ],
)
def test_what_the_server_refuses_the_meter_is_told(marie_client, password, why):
    response = _check(marie_client, password)

    assert response.status_code == 200
    verdict = response.json()
    assert verdict["acceptable"] is False
    assert any(why in problem for problem in verdict["problems"]), verdict


def test_a_good_passphrase_is_accepted(marie_client):
    response = _check(marie_client, PASSWORD)

    assert response.json() == {"acceptable": True, "problems": []}
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_verdict_is_in_the_persons_language(marie_client, marie):
    marie.language = "fr"
    marie.save(update_fields=["language"])

    problems = _check(marie_client, "P4ssw0rd1234!").json()["problems"]

    assert "trop courant" in " ".join(problems)


def test_only_a_logged_in_person_may_ask_and_only_by_post(client, marie_client):
    assert client.post(CHECK, {"password": PASSWORD}).status_code == 302
    assert marie_client.get(CHECK, {"password": PASSWORD}).status_code == 405
    no_token = marie_client.post(CHECK, {"password": PASSWORD})
    assert no_token.status_code == 403


def test_asking_is_rate_limited(marie_client):
    statuses = [_check(marie_client, f"{PASSWORD} {n}").status_code for n in range(122)]

    assert statuses[:120] == [200] * 120
    assert statuses[120:] == [429, 429]
