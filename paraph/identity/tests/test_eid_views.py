"""The eID card through Paraph's pages, as the card page's script drives
them: start a flow, ask for a challenge, post the token the card made
(forged here with the test PKI's card keys) to the registration flow's
``complete`` view. Cards are checked against the test PKI's CAs and its
OCSP responder, as production checks Belgium's."""

# The fixtures imported from webeid_support are used as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.identity.models import CustomerRecord, EidCertificate, RegistrationAttempt
from paraph.identity.tests.webeid_support import (  # noqa: F401 - fixtures
    ORIGIN,
    card_token,
    closed_port_url,
    pki,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def eid_settings(settings, pki):
    settings.BASE_URL = ORIGIN
    settings.EID_CAS = [
        str(pki.pem_path("citizen-ca")),
        str(pki.pem_path("foreigner-ca")),
    ]
    settings.EID_OCSP_URL = ""
    settings.EID_VIRTUAL_READER = False  # its default once real CAs are configured
    return settings


@pytest.fixture
def client(client):
    client.cookies["paraph_language"] = "en"
    return client


def _challenge(client) -> str:
    response = client.post(reverse("identity:eid_challenge"))
    assert response.status_code == 200, response.content
    return response.json()["challengeNonce"]


def _post_token(client, token):
    return client.post(
        reverse("identity:eid_authenticate"),
        json.dumps({"authToken": token}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


def _read_card(client, pki, holder, *, start="/register/start/eid/", **options):
    page = client.post(start)
    assert page.status_code == 302
    assert client.get(page["Location"]).status_code == 200
    return _post_token(client, card_token(pki, holder, challenge=_challenge(client), **options))


def test_the_card_page_explains_what_is_needed_and_what_to_do_without_the_extension(
    client, eid_settings
):
    response = client.post("/register/start/eid/")
    assert response["Location"] == "/register/eid/"

    page = client.get("/register/eid/").content.decode()

    assert "Register with your eID card" in page
    assert "Read my card" in page
    assert "ask your IT department to allow" in page
    assert eid_settings.CONTACT_PHONE in page
    assert "eid.belgium.be" in page and "web-eid.eu" in page
    # real CAs configured: no virtual card reader, even in sandbox mode
    assert "eid-virtual-reader" not in page


def test_the_card_page_without_a_flow_sends_to_registration(client, eid_settings):
    assert client.get("/register/eid/")["Location"] == reverse("identity:register")


def test_a_card_registers_and_the_registration_goes_on_to_the_phone(client, eid_settings, pki):
    CustomerRecord.objects.create(
        external_id="C-1", national_number="85073003328", first_name="Jan", last_name="Peeters"
    )

    response = _read_card(client, pki, "jan")

    assert response.status_code == 200, response.content
    assert response.json() == {"redirect": reverse("identity:register_phone")}
    attempt = RegistrationAttempt.objects.get()
    assert attempt.method == "eid" and attempt.state == "phone"
    assert attempt.national_number == "85073003328"
    assert attempt.assurance == "high"
    assert attempt.claims["given_name"] == "Jan" and attempt.claims["family_name"] == "Peeters"


def test_a_foreigner_card_registers_too(client, eid_settings, pki):
    response = _read_card(client, pki, "ahmed")

    assert response.json() == {"redirect": reverse("identity:register_match")}
    assert RegistrationAttempt.objects.get().national_number == "92110512387"


def test_a_registered_person_logs_in_with_the_card_and_it_is_recorded(
    client, eid_settings, pki, person_factory
):
    jan = person_factory(
        first_name="Jan",
        last_name="Peeters",
        national_number="85073003328",
        assurance_level=AssuranceLevel.HIGH,
        registration_method=RegistrationMethod.EID,
        registered_at=timezone.now(),
    )

    response = _read_card(client, pki, "jan", start="/identity/login/eid/")

    assert response.status_code == 200, response.content
    assert int(client.session["_auth_user_id"]) == jan.pk
    assert EidCertificate.objects.get(person=jan).certificate_der == pki.cert_der("jan-auth")


@pytest.mark.parametrize(
    ("holder", "options", "says"),
    [
        ("luc", {}, "revoked"),
        ("sofie", {}, "expired"),
        ("jan", {"origin": "https://paraph.example.be.evil.test"}, "does not match this log-in"),
    ],
    ids=["revoked-card", "expired-card", "other-origin"],
)
def test_a_refused_card_logs_nobody_in_and_says_why(
    client, eid_settings, pki, holder, options, says
):
    response = _read_card(client, pki, holder, **options)

    assert response.status_code == 400
    assert says in response.json()["error"]
    assert "_auth_user_id" not in client.session
    assert RegistrationAttempt.objects.get().state == "identifying"


def test_a_token_cannot_be_posted_twice(client, eid_settings, pki):
    client.post("/register/start/eid/")
    token = card_token(pki, "jan", challenge=_challenge(client))
    assert _post_token(client, token).status_code == 200

    # a new flow, but the same (used) challenge's token
    client.post("/register/start/eid/")
    again = _post_token(client, token)

    assert again.status_code == 400
    assert "already been used" in again.json()["error"]


def test_the_responder_down_says_the_card_cannot_be_checked_now(client, eid_settings, pki):
    eid_settings.EID_OCSP_URL = closed_port_url()

    response = _read_card(client, pki, "jan")

    assert response.status_code == 400
    assert "cannot check your card right now" in response.json()["error"]


def test_a_malformed_body_is_refused_and_uses_up_the_challenge(client, eid_settings):
    client.post("/register/start/eid/")
    _challenge(client)

    response = client.post(
        reverse("identity:eid_authenticate"),
        "{not json",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "could not be read" in response.json()["error"]


def test_a_challenge_is_given_only_to_a_started_flow(client, eid_settings):
    response = client.post(reverse("identity:eid_challenge"))

    assert response.status_code == 400


def test_challenges_are_rate_limited_per_address(client, eid_settings):
    client.post("/register/start/eid/")
    for _ in range(20):
        assert client.post(reverse("identity:eid_challenge")).status_code == 200

    response = client.post(reverse("identity:eid_challenge"))

    assert response.status_code == 429
    assert "Too many tries" in response.json()["error"]
