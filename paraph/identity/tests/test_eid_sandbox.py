"""The sandbox's virtual eID cards: their PIN counts and blocks as a real
card's, their tokens go through the same validator as real cards' (OCSP
answered by Paraph's own sandbox responder over HTTP), and none of it
exists outside sandbox mode."""

# The fixtures imported from webeid_support are used as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from paraph.core.demo import DEMO_PEOPLE
from paraph.identity.providers.eid import sandbox as virtual
from paraph.identity.providers.eid import webeid
from paraph.identity.providers.eid.provider import eid_config
from paraph.identity.tests.webeid_support import (  # noqa: F401 - fixtures
    eid_sandbox,
    eid_sandbox_template,
    pki,
    x509_cert,
)


def _sign(
    card: str, pin: str = "1234", *, challenge: str = "c2FuZGJveA==", origin: str = "http://x"
):
    return virtual.card_authenticate(card_id=card, pin=pin, challenge=challenge, origin=origin)


def _error(card: str, pin: str) -> virtual.CardError:
    with pytest.raises(virtual.CardError) as caught:
        _sign(card, pin)
    return caught.value


# --- The cards and their PIN -----------------------------------------------------


def test_there_is_a_card_for_each_demo_person_and_cards_to_see_refusals(eid_sandbox):
    listed = {card["name"]: card["state"] for card in virtual.cards_list()}

    for person in DEMO_PEOPLE:
        assert listed[f"{person['first_name']} {person['last_name']}"] == "valid"
    assert sorted(listed.values()).count("revoked") == 1
    assert sorted(listed.values()).count("expired") == 1


def test_the_card_keys_stay_private_on_the_server(eid_sandbox):
    keys = list(eid_sandbox.rglob("*.key.pem"))

    assert keys
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in keys)


def test_three_wrong_pins_block_the_card_as_on_a_real_card(eid_sandbox):
    assert _error("card1", "0000").tries_left == 2
    assert _error("card1", "1111").tries_left == 1
    assert _error("card1", "2222").code == "pin_blocked"
    # blocked: even the right PIN is refused now
    assert _error("card1", "1234").code == "pin_blocked"
    # the other cards are not affected
    assert _sign("card2")["format"] == "web-eid:1.0"

    virtual.card_unblock("card1")  # the municipality's PUK

    assert _sign("card1")["algorithm"] == "RS256"


def test_the_right_pin_resets_the_count_of_wrong_ones(eid_sandbox):
    _error("card1", "0000")
    _error("card1", "0000")
    _sign("card1")

    assert _error("card1", "0000").tries_left == 2


def test_an_unknown_card_is_refused(eid_sandbox):
    for card in ("nobody", "../cards/card1", ""):
        assert _error(card, "1234").code == "unknown_card"


# --- The same validation as real cards ------------------------------------------------


@pytest.fixture
def sandbox_site(eid_sandbox, live_server, settings):
    """Paraph served on loopback: the sandbox cards' OCSP responder is Paraph."""
    settings.BASE_URL = live_server.url
    return live_server.url


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("card", "algorithm"), [("card1", "RS256"), ("card2", "ES384")])
def test_a_virtual_card_token_is_validated_like_a_real_one(sandbox_site, card, algorithm):
    challenge = webeid.challenge_issue({})
    token = _sign(card, challenge=challenge, origin=sandbox_site)
    config = eid_config()

    identity = webeid.token_validate(token, challenge=challenge, config=config)

    person = DEMO_PEOPLE[int(card[-1]) - 1]
    assert token["algorithm"] == algorithm
    assert identity.national_number == person["national_number"]
    assert (identity.given_name, identity.surname) == (person["first_name"], person["last_name"])
    assert identity.issuer == "SANDBOX Citizen CA"
    assert config.ocsp and config.ocsp_url == f"{sandbox_site}/identity/sandbox/eid/ocsp/"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("card", "origin", "code"),
    [
        ("revoked", None, "certificate_revoked"),
        ("expired", None, "certificate_expired"),
        ("card1", "https://paraph.example.be.evil.test", "signature_invalid"),
    ],
    ids=["revoked-card", "expired-card", "other-origin"],
)
def test_a_virtual_card_is_refused_like_a_real_one(sandbox_site, card, origin, code):
    challenge = webeid.challenge_issue({})
    token = _sign(card, challenge=challenge, origin=origin or sandbox_site)

    with pytest.raises(webeid.WebEidError) as caught:
        webeid.token_validate(token, challenge=challenge, config=eid_config())

    assert caught.value.code == code


def test_a_virtual_card_is_refused_where_real_cas_are_configured(eid_sandbox, pki, settings):
    settings.EID_CAS = [
        str(pki.pem_path("citizen-ca")),
        str(pki.pem_path("foreigner-ca")),
    ]
    settings.BASE_URL = "https://paraph.example.be"
    challenge = webeid.challenge_issue({})
    token = _sign("card1", challenge=challenge, origin="https://paraph.example.be")

    with pytest.raises(webeid.WebEidError) as caught:
        webeid.token_validate(token, challenge=challenge, config=eid_config())

    assert caught.value.code == "certificate_untrusted"


# --- The sandbox CA's OCSP responder ----------------------------------------------------


def _ocsp_request(certificate, issuer, nonce=b"N" * 16) -> bytes:
    return (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer, hashes.SHA1())
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
        .public_bytes(serialization.Encoding.DER)
    )


def _sandbox_cert(directory, name):
    return x509.load_pem_x509_certificate((directory / name).read_bytes())


@pytest.mark.parametrize(
    ("card", "status"),
    [("card1", ocsp.OCSPCertStatus.GOOD), ("revoked", ocsp.OCSPCertStatus.REVOKED)],
)
def test_the_sandbox_responder_answers_signed_by_its_ca_with_the_nonce(eid_sandbox, card, status):
    ca = _sandbox_cert(eid_sandbox, "citizen-ca.pem")
    cert = _sandbox_cert(eid_sandbox, f"cards/{card}/auth.pem")
    now = datetime.now(tz=UTC)

    response = ocsp.load_der_ocsp_response(
        virtual.ocsp_respond(_ocsp_request(cert, ca, b"nonce-123"), now=now)
    )

    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == status
    assert response.serial_number == cert.serial_number
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"nonce-123"
    assert response.signature_hash_algorithm is not None
    ca.public_key().verify(
        response.signature, response.tbs_response_bytes, ec.ECDSA(response.signature_hash_algorithm)
    )


def test_the_sandbox_responder_does_not_speak_for_other_cas(eid_sandbox, pki):
    request = _ocsp_request(x509_cert(pki, "jan-auth"), x509_cert(pki, "citizen-ca"))

    response = ocsp.load_der_ocsp_response(virtual.ocsp_respond(request))

    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_the_sandbox_responder_refuses_garbage(eid_sandbox):
    response = ocsp.load_der_ocsp_response(virtual.ocsp_respond(b"\x30\x03junk"))

    assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


# --- Sandbox mode only --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["eid_sandbox_sign", "eid_sandbox_unblock", "eid_sandbox_ocsp"])
def test_the_virtual_card_does_not_exist_outside_sandbox_mode(client, eid_sandbox, settings, name):
    from django.urls import reverse

    settings.SANDBOX = False

    response = client.post(
        reverse(f"identity:{name}"),
        json.dumps({"card": "card1", "pin": "1234", "challengeNonce": "x", "origin": "http://x"}),
        content_type="application/json",
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_the_sign_endpoint_counts_wrong_pins_and_says_how_many_tries_are_left(client, eid_sandbox):
    from django.urls import reverse

    def sign(pin):
        return client.post(
            reverse("identity:eid_sandbox_sign"),
            json.dumps(
                {"card": "card2", "pin": pin, "challengeNonce": "abc=", "origin": "http://x"}
            ),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    first, second, third = sign("9999"), sign("9999"), sign("9999")

    assert first.json()["code"] == "pin_wrong" and first.json()["triesLeft"] == 2
    assert "authToken" not in first.json()
    assert "2 tries left" in first.json()["message"]
    assert "1 try left" in second.json()["message"]
    assert third.json()["code"] == "pin_blocked" and "blocked" in third.json()["message"]
    assert sign("1234").json()["code"] == "pin_blocked"


def _ocsp_address(folder, role="sign") -> tuple[str, int, bytes]:
    cert = x509.load_pem_x509_certificate((folder / f"{role}.pem").read_bytes())
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    key = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return aia[0].access_location.value, cert.serial_number, key


def test_the_cards_follow_paraph_to_another_address(eid_sandbox, settings):
    """``PORT=8101 make run`` after a first start on 8000: the cards' OCSP
    address moves with Paraph; their keys and serial numbers stay, so a
    document signed before the move still gets a "good" answer."""
    card = eid_sandbox / "cards" / "card1"
    before = _ocsp_address(card)
    settings.BASE_URL = "http://127.0.0.1:8101"

    virtual.sandbox_dir()

    after = _ocsp_address(card)
    assert after[0] == "http://127.0.0.1:8101/identity/sandbox/eid/ocsp/"
    assert after[1:] == before[1:], "same serial number and key"
    cert = x509.load_pem_x509_certificate((card / "sign.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((eid_sandbox / "citizen-ca.pem").read_bytes())
    cert.verify_directly_issued_by(ca)
    stamp = (card / "sign.pem").stat().st_mtime_ns
    virtual.sandbox_dir()
    assert (card / "sign.pem").stat().st_mtime_ns == stamp, "issued again only when it moved"
