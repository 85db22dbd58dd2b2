"""The sandbox itsme: labelled as a sandbox, only in sandbox mode, and its
callback cannot be forged, replayed or carried to another session."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from paraph.core.sealing import seal
from paraph.identity.models import RegistrationAttempt
from paraph.identity.providers import IdentityError
from paraph.identity.providers.itsme.sandbox import (
    IDENTITIES_BY_KEY,
    SANDBOX_IDENTITIES,
    SandboxItsmeProvider,
)
from paraph.identity.tests.registration_support import MATCH, PHONE, english_client

pytestmark = pytest.mark.django_db

SANDBOX_PAGE = "/identity/sandbox/itsme/"
CALLBACK = "/identity/itsme/complete/"


@pytest.fixture
def client(db):
    call_command("demo", stdout=io.StringIO())
    return english_client()


def start(client):
    response = client.post("/register/start/itsme/")
    state = parse_qs(urlparse(response["Location"]).query)["state"][0]
    return response["Location"], state


def confirm(client, state, identity):
    response = client.post(
        SANDBOX_PAGE, {"state": state, "identity": identity, "action": "confirm"}
    )
    assert response.status_code == 302
    return response["Location"]


def test_the_page_says_plainly_it_is_a_sandbox_and_lists_the_demo_identities(client):
    page_url, _state = start(client)

    page = client.get(page_url).content.decode()

    assert "Sandbox — no real itsme" in page
    assert "Confirm in your itsme app" in page
    for identity in SANDBOX_IDENTITIES:
        assert f'value="{identity.key}"' in page
    assert "Already registered (demo data)." in page
    assert "Not in the customer file: a new customer." in page


def test_the_sandbox_itsme_does_not_exist_outside_sandbox_mode(client, settings):
    page_url, _state = start(client)
    settings.SANDBOX = False

    assert client.get(page_url).status_code == 404
    with pytest.raises(IdentityError) as refused:
        SandboxItsmeProvider().start(RequestFactory().get("/"), purpose="register")
    assert refused.value.code == "sandbox_off"


def test_confirming_returns_the_identity_at_the_high_level(client):
    _page, state = start(client)

    response = client.get(confirm(client, state, "pieter"))

    assert response["Location"] == MATCH
    attempt = RegistrationAttempt.objects.get()
    claims = attempt.claims
    assert claims["assurance"] == "high" and claims["sandbox"] is True
    assert claims["national_number"] == IDENTITIES_BY_KEY["pieter"].national_number
    assert claims["address"]["municipality"] == "Gent"


def test_an_edited_code_is_refused(client):
    _page, state = start(client)
    callback = confirm(client, state, "pieter")
    query = parse_qs(urlparse(callback).query)
    code = query["code"][0]
    tampered = code[:-6] + ("A" if code[-6] != "A" else "B") + code[-5:]

    response = client.get(f"{CALLBACK}?{urlencode({'code': tampered, 'state': state})}")

    assert response.status_code == 400
    assert "not valid or has expired" in response.content.decode()
    assert not RegistrationAttempt.objects.exclude(claims={}).exists()


def test_a_code_made_for_another_identity_cannot_be_written_by_hand(client):
    """Sealed with the secret key: a hand-made code is not one itsme issued."""
    _page, state = start(client)
    forged = seal({"identity": "anne", "state": "not-this-state"})

    response = client.get(f"{CALLBACK}?{urlencode({'code': forged, 'state': state})}")

    assert response.status_code == 400
    assert "does not match" in response.content.decode()


def test_a_code_works_once(client):
    _page, state = start(client)
    callback = confirm(client, state, "marie")
    assert client.get(callback)["Location"] == PHONE

    client.post("/register/start/itsme/")  # a new flow in the same session
    replay = client.get(callback)

    assert replay.status_code == 400


def test_a_code_does_not_work_in_another_browser(client):
    _page, state = start(client)
    callback = confirm(client, state, "marie")
    other = english_client()
    other.post("/register/start/itsme/")

    response = other.get(callback)

    assert response.status_code == 400
    assert not RegistrationAttempt.objects.exclude(claims={}).exists()


def test_cancelling_in_the_app_shares_nothing(client):
    _page, state = start(client)

    response = client.post(SANDBOX_PAGE, {"state": state, "action": "cancel"})
    page = client.get(response["Location"])

    assert page.status_code == 400
    assert "You cancelled in the itsme app. Nothing was shared." in page.content.decode()
    assert not RegistrationAttempt.objects.exclude(claims={}).exists()


def test_confirming_without_choosing_says_what_to_do(client):
    _page, state = start(client)

    response = client.post(SANDBOX_PAGE, {"state": state, "action": "confirm"})

    assert response.status_code == 400
    assert "Choose one of the demo identities." in response.content.decode()


def test_an_unknown_state_shows_no_identities(client):
    start(client)

    response = client.get(f"{SANDBOX_PAGE}?state=guessed")

    assert response.status_code == 400
    assert 'value="anne"' not in response.content.decode()
