"""The sandbox's virtual card reader for signing: the signature certificate
without a PIN (as a real card), a hash signed with the signature key once
the PIN is right, one PIN counter shared with authentication (a real
Belgian card has one PIN for both keys), three wrong PINs block the card,
the PUK unblocks it; none of it outside sandbox mode."""

# The fixtures imported from test_eid_fixtures are used as test arguments.
# ruff: noqa: F403, F405

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from django.urls import reverse

from paraph.adminbox.tests.test_eid_fixtures import *
from paraph.identity.providers.eid import sandbox as eid_sandbox

pytestmark = pytest.mark.django_db

HASH = base64.b64encode(hashlib.sha256(b"the contract").digest()).decode()


@pytest.fixture
def reader(eid_sign_template_ocsp_down, tmp_path, settings, client):
    use_cards(eid_sign_template_ocsp_down, tmp_path, settings)
    client.cookies["paraph_language"] = "en"
    return client


def _certificate(client, card: str):
    return post_json(client, reverse("identity:eid_sandbox_signing_certificate"), {"card": card})


def _sign(client, card: str, pin: str, *, certificate: str | None = None, hash_value: str = HASH):
    return post_json(
        client,
        reverse("identity:eid_sandbox_sign_hash"),
        {
            "card": card,
            "pin": pin,
            "certificate": certificate or eid_sandbox.card_signing_certificate(card)["certificate"],
            "hash": hash_value,
            "hashFunction": "SHA-256",
        },
    )


def _authenticate(client, card: str, pin: str):
    return post_json(
        client,
        reverse("identity:eid_sandbox_sign"),
        {"card": card, "pin": pin, "challengeNonce": "c2FuZGJveA==", "origin": "http://x"},
    )


def _non_repudiation(cert: x509.Certificate) -> bool:
    return cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment


def _load(answer) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(answer.json()["certificate"]))


def test_the_signature_certificate_is_read_without_a_pin(reader):
    rsa_card, ec_card = _certificate(reader, "card1"), _certificate(reader, "card2")

    for answer, name in ((rsa_card, "Anne Martin"), (ec_card, "Jan Peeters")):
        cert = _load(answer)
        assert _non_repudiation(cert)  # nonRepudiation: a signing certificate
        assert name in cert.subject.rfc4514_string()
    assert {a["cryptoAlgorithm"] for a in rsa_card.json()["supportedSignatureAlgorithms"]} == {
        "RSA"
    }
    assert {a["paddingScheme"] for a in ec_card.json()["supportedSignatureAlgorithms"]} == {"NONE"}


def test_the_card_of_a_holder_under_18_has_no_active_signature_certificate(reader):
    cert = _load(_certificate(reader, "minor"))

    assert not _non_repudiation(cert)
    assert "Lotte Willems" in cert.subject.rfc4514_string()


@pytest.mark.parametrize("card", ["card1", "card2"])
def test_the_right_pin_signs_the_hash_with_the_signature_key(reader, card):
    answer = _sign(reader, card, eid_sandbox.PIN)

    signature = base64.b64decode(answer.json()["signature"])
    key = _load(_certificate(reader, card)).public_key()
    digest = base64.b64decode(HASH)
    prehashed = utils.Prehashed(hashes.SHA256())
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        assert answer.json()["signatureAlgorithm"]["paddingScheme"] == "PKCS1.5"
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        half = len(signature) // 2  # raw r||s, as cards give it
        der = utils.encode_dss_signature(
            int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
        )
        key.verify(der, digest, ec.ECDSA(prehashed))
        assert answer.json()["signatureAlgorithm"]["cryptoAlgorithm"] == "ECC"


def test_one_pin_counter_for_both_keys_three_wrong_pins_block_the_card(reader):
    first = _sign(reader, "card1", "0000").json()
    second = _authenticate(reader, "card1", "1111").json()
    third = _sign(reader, "card1", "2222").json()
    right_but_blocked = _sign(reader, "card1", eid_sandbox.PIN).json()

    assert (first["code"], first["triesLeft"]) == ("pin_wrong", 2)
    assert "2 tries left" in first["message"]
    assert (second["code"], second["triesLeft"]) == ("pin_wrong", 1)
    assert third["code"] == "pin_blocked"
    assert right_but_blocked["code"] == "pin_blocked"
    assert "signature" not in right_but_blocked

    post_json(reader, reverse("identity:eid_sandbox_unblock"), {"card": "card1"})  # the PUK

    assert "signature" in _sign(reader, "card1", eid_sandbox.PIN).json()


def test_the_card_refuses_another_cards_certificate_and_a_value_that_is_no_hash(reader):
    other = eid_sandbox.card_signing_certificate("card2")["certificate"]

    wrong_card = _sign(reader, "card1", eid_sandbox.PIN, certificate=other).json()
    no_hash = _sign(reader, "card1", eid_sandbox.PIN, hash_value="AAAA").json()

    assert wrong_card["code"] == "wrong_certificate"
    assert no_hash["code"] == "bad_hash"
    # Neither counted as a wrong PIN.
    assert _sign(reader, "card1", "0000").json()["triesLeft"] == 2


def test_the_virtual_reader_does_not_exist_outside_sandbox_mode(reader, settings):
    settings.SANDBOX = False

    assert _certificate(reader, "card1").status_code == 404
    assert _sign(reader, "card1", eid_sandbox.PIN).status_code == 404
