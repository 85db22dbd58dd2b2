"""itsme end to end, against a real OpenID provider Paraph did not write:
npm's oidc-provider configured like itsme (oidc_peer/server.js), on
loopback. The person's side goes through Django's test client (Paraph) and
httpx (the browser at itsme); every refusal is one the person would see."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import time
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from paraph.identity.providers import IdentityError, get_identity_provider
from paraph.identity.providers.itsme.oidc import ACR_ADVANCED, ACR_BASIC
from paraph.identity.tests.oidc_peer import peer
from paraph.identity.tests.oidc_peer.peer import ACCOUNT, confirm_at_peer

# The test peer's fixtures, used by the tests below.
itsme_peer = peer.itsme_peer
itsme = peer.itsme

# --- This module is also the URLconf of most of its tests ----------------------------
#
# Paraph's own pages, except itsme's callback, which answers here with the
# claims (or the refusal's code) as JSON so each check can be asserted; the
# registration flow's real callback is driven by the last test.


def start_view(request: HttpRequest) -> Any:
    """What the registration flow does: ask the configured provider to start."""
    try:
        return get_identity_provider("itsme").start(
            request, purpose=request.GET.get("purpose", "register")
        )
    except IdentityError as exc:
        return JsonResponse({"error": exc.code, "message": exc.message}, status=503)


def callback_view(request: HttpRequest) -> JsonResponse:
    try:
        claims = get_identity_provider("itsme").complete(request)
    except IdentityError as exc:
        return JsonResponse({"error": exc.code, "message": exc.message}, status=400)
    return JsonResponse(asdict(claims), json_dumps_params={"default": str})


urlpatterns = [
    path("test/itsme/start/", start_view),
    path("identity/itsme/callback/", callback_view),
    path("", include("paraph.urls")),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def english(client: Client, settings: Any) -> None:
    """The messages below are asserted in English; the default language is French."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def begin(client: Any, purpose: str = "register") -> str:
    response = client.get("/test/itsme/start/", {"purpose": purpose})
    assert response.status_code == 302, response.content
    return str(response["Location"])


def come_back(client: Any, params: dict[str, str]) -> Any:
    return client.get("/identity/itsme/callback/", params)


STALE = "This itsme confirmation has expired or was already used. Please start again."
FAILED = "itsme could not confirm your identity. Please start again."


def refused(response: Any, code: str, message: str = FAILED) -> None:
    """Refused with ``code``; the person reads ``message``."""
    assert response.status_code == 400, response.content
    assert response.json() == {"error": code, "message": message}


def jose_header(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# --- The happy path ------------------------------------------------------------------


def test_a_person_confirms_in_itsme_and_paraph_receives_her_verified_identity(client, itsme):
    authorization_url = begin(client)

    # Everything the flow asks travels in a request object, signed then
    # encrypted for itsme: neither the nonce nor the claims are readable.
    sent = parse_qs(urlsplit(authorization_url).query)
    assert authorization_url.startswith(f"{itsme.issuer}/auth?")
    assert set(sent) == {"client_id", "response_type", "scope", "request"}
    assert sent["scope"] == ["openid service:PARAPH_TEST profile email phone address eid"]
    request_object = sent["request"][0]
    assert request_object.count(".") == 4
    assert jose_header(request_object) == {
        "alg": "RSA-OAEP-256",
        "enc": "A128CBC-HS256",
        "cty": "JWT",
        "kid": "peer-enc-1",
    }

    params = confirm_at_peer(authorization_url)
    assert params["iss"] == itsme.issuer
    response = come_back(client, params)

    assert response.status_code == 200, response.content
    claims = response.json()
    assert claims["method"] == "itsme"
    assert claims["assurance"] == "high"
    assert claims["national_number"] == "85073003328"
    assert claims["given_name"] == "Anne-Marie"
    assert claims["family_name"] == "Dupont"
    assert claims["birth_date"] == "1985-07-30"
    assert claims["phone"] == "+32470123456"
    assert claims["email"] == "anne-marie.dupont@example.be"
    assert claims["address"] == {
        "street": "Rue de la Loi",
        "house_number": "16",
        "box": "3",
        "postal_code": "1000",
        "municipality": "Bruxelles",
        "country": "BE",
        "formatted": "Rue de la Loi 16 bte 3\n1000 Bruxelles",
    }
    assert claims["document"] == {"type": "BE eID", "number": "591234567829", "country": "BE"}
    # The subject is itsme's pairwise identifier, not the account's own id.
    assert claims["subject"] and claims["subject"] != ACCOUNT
    assert f"confirmed: {ACCOUNT} {ACR_BASIC}" in itsme.test_log()


def test_the_pairwise_subject_is_the_same_at_each_visit(client, itsme):
    first = come_back(client, confirm_at_peer(begin(client))).json()
    second = come_back(client, confirm_at_peer(begin(client))).json()

    assert first["subject"] == second["subject"]


def test_a_step_up_asks_for_the_itsme_code_and_gets_it(client, itsme):
    authorization_url = begin(client, purpose="step_up")

    response = come_back(client, confirm_at_peer(authorization_url))

    assert response.status_code == 200, response.content
    assert response.json()["national_number"] == "85073003328"
    assert f"confirmed: {ACCOUNT} {ACR_ADVANCED}" in itsme.test_log()


def test_claims_delivered_only_at_userinfo_are_fetched_decrypted_and_verified(client, itsme):
    itsme.behave("claims_in_userinfo")

    response = come_back(client, confirm_at_peer(begin(client)))

    assert response.status_code == 200, response.content
    claims = response.json()
    assert claims["national_number"] == "85073003328"
    assert claims["address"]["house_number"] == "16"
    assert "GET /v2/me" in itsme.test_log()


def test_discovery_is_fetched_once_then_cached(client, itsme):
    before = itsme.log_size()

    begin(client)
    begin(client)

    assert itsme.log_since(before).count("GET /v2/.well-known/openid-configuration") == 1


# --- Refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("wrong_signature", "id_token_signature"),
        ("wrong_audience", "id_token_audience"),
        ("wrong_issuer", "id_token_issuer"),
        ("wrong_nonce", "id_token_nonce"),
        ("expired", "id_token_expired"),
        ("unencrypted", "id_token_not_encrypted"),
    ],
)
def test_a_bad_id_token_from_the_provider_is_refused(client, itsme, mode, code):
    itsme.behave(mode)

    response = come_back(client, confirm_at_peer(begin(client)))

    refused(response, code)


def test_an_id_token_replaying_an_earlier_nonce_is_refused(client, itsme):
    assert come_back(client, confirm_at_peer(begin(client))).status_code == 200
    itsme.behave("stale_nonce")  # the peer now repeats that flow's nonce

    response = come_back(client, confirm_at_peer(begin(client)))

    refused(response, "id_token_nonce")


def test_a_step_up_answered_with_acr_basic_is_refused(client, itsme):
    itsme.behave("acr_basic")

    response = come_back(client, confirm_at_peer(begin(client, purpose="step_up")))

    refused(response, "acr_insufficient")


def test_acr_basic_is_enough_when_no_step_up_was_asked(client, itsme):
    itsme.behave("acr_basic")

    response = come_back(client, confirm_at_peer(begin(client)))

    assert response.status_code == 200, response.content


def test_a_replayed_callback_is_refused(client, itsme):
    params = confirm_at_peer(begin(client))
    assert come_back(client, params).status_code == 200

    refused(come_back(client, params), "state_mismatch", STALE)


def test_a_used_code_is_refused_by_the_provider_even_with_a_fresh_state(client, itsme):
    used = confirm_at_peer(begin(client))
    assert come_back(client, used).status_code == 200
    begin(client)  # a new flow: the only one pending in this session
    state = next(iter(client.session["identity.itsme.flows"]))

    response = come_back(client, {"code": used["code"], "state": state, "iss": used["iss"]})

    refused(response, "token_refused")
    assert "grant.error" in itsme.test_log()


def test_a_mismatched_state_is_refused(client, itsme):
    params = confirm_at_peer(begin(client))

    refused(
        come_back(client, {**params, "state": params["state"][:-2] + "xx"}), "state_mismatch", STALE
    )
    # ... and the real state still works once.
    assert come_back(client, params).status_code == 200


def test_a_callback_in_another_browser_session_is_refused(client, itsme, settings):
    params = confirm_at_peer(begin(client))

    other_browser = Client()
    other_browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    refused(come_back(other_browser, params), "state_mismatch", STALE)


def test_a_callback_without_state_is_refused(client, itsme):
    params = confirm_at_peer(begin(client))
    del params["state"]

    refused(come_back(client, params), "state_missing", STALE)


def test_a_flow_older_than_ten_minutes_is_refused(client, itsme):
    params = confirm_at_peer(begin(client))

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10, seconds=1)):
        response = come_back(client, params)

    refused(response, "state_expired", STALE)


def test_a_response_from_another_issuer_is_refused(client, itsme):
    params = confirm_at_peer(begin(client))

    refused(
        come_back(client, {**params, "iss": "https://idp.example.invalid/v2"}),
        "provider_mismatch",
    )


def test_cancelling_in_itsme_says_so(client, itsme):
    begin(client)
    state = next(iter(client.session["identity.itsme.flows"]))

    response = come_back(client, {"error": "access_denied", "state": state})

    refused(response, "cancelled", "The confirmation in itsme was cancelled. You can start again.")


# --- Reaching itsme ------------------------------------------------------------------


def test_an_unreachable_provider_is_reported_plainly(client, itsme, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ITSME_ISSUER = f"http://127.0.0.1:{port}/v2"  # nothing listens there

    response = client.get("/test/itsme/start/")

    assert response.status_code == 503
    assert response.json()["error"] == "provider_unreachable"
    assert "cannot be reached" in response.json()["message"]


def test_a_provider_that_does_not_answer_times_out(client, itsme, settings):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never answers
        settings.ITSME_ISSUER = f"http://127.0.0.1:{silent.getsockname()[1]}/v2"
        settings.ITSME_TIMEOUT = 1
        started = time.monotonic()

        response = client.get("/test/itsme/start/")

    assert response.json()["error"] == "provider_unreachable"
    assert time.monotonic() - started < 5


# --- Paraph's keys -------------------------------------------------------------------


def test_paraph_publishes_one_signing_and_one_encryption_key_public_parts_only(client, itsme):
    response = client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwk-set+json"
    assert "max-age=300" in response["Cache-Control"]
    keys = response.json()["keys"]
    assert sorted(k["use"] for k in keys) == ["enc", "sig"]
    assert {k["kty"] for k in keys} == {"RSA"}
    assert all(set(k) == {"kty", "n", "e", "use", "alg", "kid"} for k in keys)


def test_after_a_key_rotation_the_flow_works_and_the_old_encryption_key_still_decrypts(
    client, itsme
):
    old = {k["use"]: k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}

    call_command("itsme-rotate-keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    published = client.get("/.well-known/jwks.json").json()["keys"]
    assert len(published) == 4
    new = {k["use"]: k["kid"] for k in published[:2]}  # current keys first
    assert new.keys() == {"sig", "enc"} and set(new.values()).isdisjoint(old.values())
    # itsme fetched the new JWK Set; it may still encrypt to the old key.
    itsme.know_client_keys({"keys": [k for k in published if k["kid"] in (new["sig"], old["enc"])]})
    response = come_back(client, confirm_at_peer(begin(client)))

    # The peer could only encrypt to the old key, and only knew the new
    # signing key: both were used, each by its kid.
    assert response.status_code == 200, response.content
    assert response.json()["national_number"] == "85073003328"


def test_itsme_refuses_paraph_when_it_does_not_know_the_signing_key(client, itsme):
    call_command("itsme-rotate-keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # The peer still has only the old keys: Paraph's new signature is unknown to it.

    response = client.get("/test/itsme/start/")
    params = confirm_at_peer(str(response["Location"]))

    assert params["error"] == "invalid_request_object"
    refused(come_back(client, params), "provider_error")


# --- Through the registration flow -----------------------------------------------------


@pytest.mark.urls("paraph.urls")
def test_registering_with_itsme_goes_through_paraphs_real_callback(client, itsme):
    from paraph.identity.models import RegistrationAttempt

    response = client.post("/register/start/itsme/")
    assert response.status_code == 302, response.content
    params = confirm_at_peer(str(response["Location"]))

    response = client.get("/identity/itsme/callback/", params)

    # No customer record carries her national number: she is asked to match.
    assert response.status_code == 302, response.content
    assert response["Location"] == "/register/match/"
    attempt = RegistrationAttempt.objects.get()
    assert attempt.national_number == "85073003328"
    assert attempt.subject and attempt.subject != ACCOUNT
