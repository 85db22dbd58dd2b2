"""The Web eID token validator: real card tokens pass, and every forged or
bad token is refused with its own reason. Tokens are made by signing with
the test PKI's card keys (paraph/signing/tests/pki); OCSP is answered by
the test PKI's responder on loopback."""

# The fixtures imported from webeid_support are used as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from django.utils import translation

from paraph.identity.providers.eid import webeid
from paraph.identity.tests.webeid_support import (  # noqa: F401 - fixtures
    CLIENT_AUTH,
    HOLDERS,
    ORIGIN,
    SERVER_AUTH_ONLY,
    card_token,
    closed_port_url,
    config_for,
    forged_certificate,
    new_challenge,
    pki,
    sign_token,
    webeid_config,
    x509_cert,
)


@pytest.fixture(autouse=True)
def _english():
    """The messages are read in English here (they are translated later)."""
    with translation.override("en"):
        yield


def refused(token, *, challenge, config, now=None) -> webeid.WebEidError:
    with pytest.raises(webeid.WebEidError) as caught:
        webeid.token_validate(token, challenge=challenge, config=config, now=now)
    return caught.value


# --- Real cards pass ---------------------------------------------------------


@pytest.mark.parametrize(
    ("holder", "algorithm", "issuer"),
    [
        ("jan", "RS256", "Citizen CA (Paraph test)"),
        ("marie", "ES384", "Citizen CA (Paraph test)"),
        ("ahmed", "ES384", "Foreigner CA (Paraph test)"),
    ],
    ids=["rsa2048-citizen", "p384-citizen", "p384-foreigner"],
)
def test_a_card_token_gives_the_holder(pki, webeid_config, holder, algorithm, issuer):
    challenge = new_challenge()
    token = card_token(pki, holder, challenge=challenge)
    assert token["algorithm"] == algorithm

    identity = webeid.token_validate(json.dumps(token), challenge=challenge, config=webeid_config)

    given, surname, national_number = HOLDERS[holder]
    assert (identity.given_name, identity.surname) == (given, surname)
    assert identity.national_number == national_number
    assert identity.issuer == issuer
    assert identity.certificate_der == pki.cert_der(f"{holder}-auth")
    assert (
        identity.fingerprint == x509_cert(pki, f"{holder}-auth").fingerprint(hashes.SHA256()).hex()
    )


@pytest.mark.parametrize("algorithm", ["RS384", "RS512", "PS256", "PS384", "PS512"])
def test_every_rsa_algorithm_of_the_protocol_is_accepted(pki, webeid_config, algorithm):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge, algorithm=algorithm)

    identity = webeid.token_validate(token, challenge=challenge, config=webeid_config)

    assert identity.national_number == "85073003328"


@pytest.mark.parametrize("token_format", ["web-eid:1", "web-eid:1.0", "web-eid:1.1"])
def test_format_versions_1_x_are_accepted(pki, webeid_config, token_format):
    challenge = new_challenge()
    token = card_token(pki, "marie", challenge=challenge, token_format=token_format)

    assert webeid.token_validate(token, challenge=challenge, config=webeid_config)


def test_an_ecdsa_value_sent_as_der_instead_of_raw_r_s_is_refused(pki, webeid_config):
    challenge = new_challenge()
    token = card_token(pki, "marie", challenge=challenge)
    raw = base64.b64decode(token["signature"])
    r, s = int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big")
    from cryptography.hazmat.primitives.asymmetric import utils

    token["signature"] = base64.b64encode(utils.encode_dss_signature(r, s)).decode()

    assert refused(token, challenge=challenge, config=webeid_config).code == "signature_invalid"


# --- The challenge -----------------------------------------------------------


def test_a_challenge_has_256_random_bits_and_lives_in_the_session():
    session: dict = {}

    nonce = webeid.challenge_issue(session)

    assert len(base64.b64decode(nonce, validate=True)) == 32
    assert session[webeid.SESSION_KEY]["nonce"] == nonce
    assert webeid.challenge_issue({}) != nonce


def test_a_challenge_serves_once_even_when_the_attempt_fails(pki, webeid_config):
    session: dict = {}
    challenge = webeid.challenge_issue(session)
    good = card_token(pki, "jan", challenge=challenge)

    # first attempt: a broken token; the challenge is gone all the same
    taken = webeid.challenge_take(session)
    assert refused("{}", challenge=taken, config=webeid_config).code == "token_malformed"
    # the good token for the same challenge cannot be replayed afterwards
    with pytest.raises(webeid.WebEidError) as caught:
        webeid.token_validate(good, challenge=webeid.challenge_take(session), config=webeid_config)
    assert caught.value.code == "challenge_missing"


def test_a_reused_challenge_is_refused(pki, webeid_config):
    session: dict = {}
    challenge = webeid.challenge_issue(session)
    token = card_token(pki, "jan", challenge=challenge)
    webeid.token_validate(token, challenge=webeid.challenge_take(session), config=webeid_config)

    with pytest.raises(webeid.WebEidError) as caught:
        webeid.challenge_take(session)

    assert caught.value.code == "challenge_missing"


def test_a_challenge_expires_after_five_minutes():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    in_time: dict[str, Any] = {}
    late: dict[str, Any] = {}
    with time_machine.travel(start, tick=False):
        webeid.challenge_issue(in_time)
        webeid.challenge_issue(late)
    with time_machine.travel(start + timedelta(minutes=4, seconds=59), tick=False):
        assert webeid.challenge_take(in_time)
    with (
        time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False),
        pytest.raises(webeid.WebEidError) as caught,
    ):
        webeid.challenge_take(late)
    assert caught.value.code == "challenge_expired"
    assert webeid.SESSION_KEY not in late  # gone too


def test_a_token_for_an_expired_challenge_is_refused_at_the_door(pki, webeid_config):
    session: dict = {}
    start = datetime.now(tz=UTC)
    with time_machine.travel(start, tick=False):
        challenge = webeid.challenge_issue(session)
    token = card_token(pki, "jan", challenge=challenge)

    with (
        time_machine.travel(start + timedelta(minutes=6), tick=False),
        pytest.raises(webeid.WebEidError) as caught,
    ):
        webeid.token_validate(token, challenge=webeid.challenge_take(session), config=webeid_config)

    assert caught.value.code == "challenge_expired"


# --- Forged tokens -----------------------------------------------------------


def test_a_token_signed_for_another_origin_is_refused(pki, webeid_config):
    challenge = new_challenge()
    token = card_token(
        pki, "jan", challenge=challenge, origin="https://paraph.example.be.evil.test"
    )

    assert refused(token, challenge=challenge, config=webeid_config).code == "signature_invalid"


@pytest.mark.parametrize(
    "origin",
    ["https://paraph.example.be/", "http://paraph.example.be", "https://paraph.example.be:8443"],
)
def test_the_origin_must_match_exactly(pki, webeid_config, origin):
    challenge = new_challenge()
    token = card_token(pki, "marie", challenge=challenge, origin=origin)

    assert refused(token, challenge=challenge, config=webeid_config).code == "signature_invalid"


def test_a_token_signed_over_another_challenge_is_refused(pki, webeid_config):
    token = card_token(pki, "jan", challenge=new_challenge())

    assert refused(token, challenge=new_challenge(), config=webeid_config).code == (
        "signature_invalid"
    )


def test_a_signature_by_another_key_is_refused(pki, webeid_config):
    challenge = new_challenge()
    # Marie's card signs, but the token carries Jan's certificate
    token = sign_token(
        pki.private_key("marie-auth"),
        pki.cert_der("jan-auth"),
        challenge=challenge,
        algorithm="ES384",
    )
    assert refused(token, challenge=challenge, config=webeid_config).code == "algorithm_unsupported"
    # ... and with an RSA key that is not Jan's (his own signature key)
    token = sign_token(pki.private_key("jan-sign"), pki.cert_der("jan-auth"), challenge=challenge)
    assert refused(token, challenge=challenge, config=webeid_config).code == "signature_invalid"
    # ... and Ahmed's P-384 key behind Marie's P-384 certificate
    token = sign_token(
        pki.private_key("ahmed-auth"), pki.cert_der("marie-auth"), challenge=challenge
    )
    assert refused(token, challenge=challenge, config=webeid_config).code == "signature_invalid"


def test_a_certificate_from_a_ca_that_is_not_configured_is_refused(pki):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)
    foreigners_only = config_for(pki, trusted_cas=(x509_cert(pki, "foreigner-ca"),))

    assert refused(token, challenge=challenge, config=foreigners_only).code == (
        "certificate_untrusted"
    )


def test_a_certificate_from_a_rogue_ca_with_the_citizen_ca_name_is_refused(pki, webeid_config):
    challenge = new_challenge()
    rogue_key = ec.generate_private_key(ec.SECP384R1())
    key, der = forged_certificate(pki, issuer_key=rogue_key)  # issuer name: the citizen CA's
    token = sign_token(key, der, challenge=challenge)

    error = refused(token, challenge=challenge, config=webeid_config)

    assert error.code == "certificate_untrusted"


def test_a_certificate_issued_by_a_trusted_end_entity_is_refused(pki):
    challenge = new_challenge()
    key, der = forged_certificate(pki, issuer_label="marie-auth")  # a card "issuing" a card
    token = sign_token(key, der, challenge=challenge)
    config = config_for(
        pki, trusted_cas=(x509_cert(pki, "citizen-ca"), x509_cert(pki, "marie-auth"))
    )

    error = refused(token, challenge=challenge, config=config)

    assert error.code == "certificate_untrusted"
    assert "not a CA" in error.detail


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _reencoded(der: bytes, *, algorithm: bytes | None = None, unused_bits: int = 0) -> bytes:
    """The same signed part and signature, the unsigned wrapper written
    another way: what would give one certificate several fingerprints."""
    from asn1crypto import x509 as asn1_x509

    parsed = asn1_x509.Certificate.load(der)
    signature = parsed["signature_value"].contents[1:]
    return _der(
        0x30,
        parsed["tbs_certificate"].dump()
        + (algorithm or parsed["signature_algorithm"].dump())
        + _der(0x03, bytes([unused_bits]) + signature),
    )


def test_one_certificate_has_one_encoding(pki):
    config = config_for(pki, ocsp=False)
    for _ in range(40):  # a CA signature whose last byte leaves a padding bit free
        key, der = forged_certificate(pki, eku=CLIENT_AUTH)
        if not x509.load_der_x509_certificate(der).signature[-1] & 1:
            break
    challenge = new_challenge()
    assert _reencoded(der) == der
    assert webeid.token_validate(
        sign_token(key, der, challenge=challenge), challenge=challenge, config=config
    )

    # sha256WithRSAEncryption without its NULL parameters, outside the signed part
    no_null = _reencoded(der, algorithm=bytes.fromhex("300b06092a864886f70d01010b"))
    padded = _reencoded(der, unused_bits=1)
    for variant in (no_null, padded):
        token = sign_token(key, variant, challenge=challenge)
        assert refused(token, challenge=challenge, config=config).code == "certificate_malformed"


def test_a_self_signed_card_certificate_is_refused(pki, webeid_config):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)
    token["unverifiedCertificate"] = base64.b64encode(pki.cert_der("belgium-root")).decode()

    error = refused(token, challenge=challenge, config=webeid_config)

    assert error.code == "certificate_key_usage"  # a CA certificate: keyCertSign, not a card


def test_a_revoked_card_is_refused(pki, webeid_config):
    challenge = new_challenge()
    token = card_token(pki, "luc", challenge=challenge)

    error = refused(token, challenge=challenge, config=webeid_config)

    assert error.code == "certificate_revoked"
    assert "revoked" in str(error.message)


def test_an_expired_card_is_refused(pki, webeid_config):
    challenge = new_challenge()
    token = card_token(pki, "sofie", challenge=challenge)

    error = refused(token, challenge=challenge, config=webeid_config)

    assert error.code == "certificate_expired"
    assert "expired" in str(error.message)


def test_a_card_not_valid_yet_is_refused(pki, webeid_config):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)  # valid from 2024-01-01

    error = refused(
        token, challenge=challenge, config=webeid_config, now=datetime(2023, 12, 31, tzinfo=UTC)
    )

    assert error.code == "certificate_not_yet_valid"


def test_a_certificate_without_digital_signature_is_refused(pki, webeid_config):
    challenge = new_challenge()
    key, der = forged_certificate(pki, key_usage={"content_commitment": True})
    token = sign_token(key, der, challenge=challenge)

    assert refused(token, challenge=challenge, config=webeid_config).code == "certificate_key_usage"


def test_the_card_signature_certificate_cannot_log_in(pki, webeid_config):
    challenge = new_challenge()
    token = sign_token(pki.private_key("jan-sign"), pki.cert_der("jan-sign"), challenge=challenge)

    assert refused(token, challenge=challenge, config=webeid_config).code == "certificate_key_usage"


def test_a_certificate_whose_eku_lacks_client_auth_is_refused(pki, webeid_config):
    challenge = new_challenge()
    key, der = forged_certificate(pki, eku=SERVER_AUTH_ONLY)
    token = sign_token(key, der, challenge=challenge)

    error = refused(token, challenge=challenge, config=webeid_config)

    assert error.code == "certificate_extended_key_usage"


def test_a_certificate_whose_eku_includes_client_auth_may_log_in(pki):
    challenge = new_challenge()
    key, der = forged_certificate(pki, eku=CLIENT_AUTH)
    token = sign_token(key, der, challenge=challenge)
    # The test PKI's responder does not know this certificate: no OCSP here.
    identity = webeid.token_validate(token, challenge=challenge, config=config_for(pki, ocsp=False))

    assert (identity.given_name, identity.surname) == ("Eve", "Forger")


def test_a_certificate_unknown_to_the_ocsp_responder_is_refused(pki, webeid_config):
    challenge = new_challenge()
    key, der = forged_certificate(pki, eku=CLIENT_AUTH)  # issued by the CA's key, never recorded
    token = sign_token(key, der, challenge=challenge)

    error = refused(token, challenge=challenge, config=webeid_config)

    # The responder answers "unauthorized" for a certificate its CA never recorded.
    assert error.code == "certificate_status_unknown"


def test_a_disallowed_certificate_policy_is_refused(pki):
    challenge = new_challenge()
    key, der = forged_certificate(pki, policies=["1.3.6.1.4.1.10015.1.3"])
    token = sign_token(key, der, challenge=challenge)
    config = config_for(pki, disallowed_policies=frozenset({"1.3.6.1.4.1.10015.1.3"}))

    assert refused(token, challenge=challenge, config=config).code == "certificate_policy"


# --- Malformed tokens ----------------------------------------------------------


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda t: "not json at all", "token_malformed"),
        (lambda t: "[1, 2, 3]", "token_malformed"),
        (lambda t: json.dumps(t)[:-10], "token_malformed"),
        (lambda t: {k: v for k, v in t.items() if k != "signature"}, "token_malformed"),
        (lambda t: {**t, "algorithm": 256}, "token_malformed"),
        (lambda t: {**t, "unverifiedCertificate": ""}, "token_malformed"),
        (lambda t: {**t, "appVersion": ["x"]}, "token_malformed"),
        (lambda t: {**t, "signature": "A" * 20_000}, "token_malformed"),
        (lambda t: {**t, "format": "web-eid:2.0"}, "format_unsupported"),
        (lambda t: {**t, "format": "web-eid:10"}, "format_unsupported"),
        (lambda t: {**t, "format": "jwt"}, "format_unsupported"),
        (lambda t: {**t, "unverifiedCertificate": "%%%not-base64%%%"}, "certificate_malformed"),
        (lambda t: {**t, "unverifiedCertificate": "aGVsbG8gd29ybGQ="}, "certificate_malformed"),
        (lambda t: {**t, "signature": "@@@"}, "signature_malformed"),
        (lambda t: {**t, "algorithm": "HS256"}, "algorithm_unsupported"),
        (lambda t: {**t, "algorithm": "none"}, "algorithm_unsupported"),
        (lambda t: {**t, "algorithm": "ES256K"}, "algorithm_unsupported"),
        (lambda t: {**t, "algorithm": "EdDSA"}, "algorithm_unsupported"),
        (lambda t: {**t, "algorithm": "RS256"}, "algorithm_unsupported"),  # on an EC card
        (lambda t: {**t, "algorithm": "ES256"}, "algorithm_unsupported"),  # P-384 key
    ],
    ids=[
        "not-json",
        "json-array",
        "truncated-json",
        "no-signature",
        "algorithm-not-a-string",
        "empty-certificate",
        "app-version-not-a-string",
        "oversized",
        "format-2",
        "format-10",
        "format-jwt",
        "certificate-not-base64",
        "certificate-not-der",
        "signature-not-base64",
        "alg-hs256",
        "alg-none",
        "alg-es256k",
        "alg-eddsa",
        "rsa-alg-on-ec-card",
        "es256-on-p384-card",
    ],
)
def test_a_malformed_token_is_refused_with_its_reason(pki, webeid_config, mangle, code):
    challenge = new_challenge()
    token = card_token(pki, "marie", challenge=challenge)

    error = refused(mangle(token), challenge=challenge, config=webeid_config)

    assert error.code == code
    assert str(error.message) and str(error.next_step)


def test_an_empty_challenge_is_never_accepted(pki, webeid_config):
    token = card_token(pki, "jan", challenge="")

    assert refused(token, challenge="", config=webeid_config).code == "challenge_missing"


# --- OCSP --------------------------------------------------------------------------


def test_a_responder_that_is_down_gives_a_clear_error(pki):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)
    config = config_for(pki, ocsp_url=closed_port_url())

    error = refused(token, challenge=challenge, config=config)

    assert error.code == "ocsp_unavailable"
    assert "cannot check your card right now" in str(error.message)


def test_a_responder_that_does_not_answer_is_given_up_on_after_the_timeout(pki):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        config = config_for(pki, ocsp_url=url, ocsp_timeout=0.5)
        started = time.monotonic()

        error = refused(token, challenge=challenge, config=config)

    assert error.code == "ocsp_unavailable"
    assert time.monotonic() - started < 3


def test_the_ocsp_address_can_be_configured_instead_of_the_certificates(pki):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)
    config = config_for(pki, ocsp_url=pki.url("ocsp/citizen-ca"))

    assert webeid.token_validate(token, challenge=challenge, config=config)


def test_an_ocsp_answer_older_than_two_minutes_is_refused(pki, webeid_config):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)
    # Paraph's clock three minutes ahead of the responder's answer
    later = datetime.now(tz=UTC) + timedelta(minutes=3)

    error = refused(token, challenge=challenge, config=webeid_config, now=later)

    assert error.code == "ocsp_invalid"


class _Replay:
    """A loopback OCSP responder answering every request with fixed bytes."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(replay.status)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(replay.body)))
                self.end_headers()
                self.wfile.write(replay.body)

            def log_message(self, *args) -> None:
                pass

        self.body, self.status = body, status
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/ocsp"

    def __enter__(self) -> _Replay:
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _captured_ocsp_response(pki, holder: str) -> bytes:
    """A genuine answer of the test PKI's responder, with some nonce."""
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(
            x509_cert(pki, f"{holder}-auth"), x509_cert(pki, "citizen-ca"), hashes.SHA1()
        )
        .add_extension(x509.OCSPNonce(b"n" * 32), critical=False)
        .build()
    )
    return httpx.post(
        pki.url("ocsp/citizen-ca"),
        content=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    ).content


def test_a_replayed_ocsp_answer_is_refused_by_its_nonce(pki):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)
    with _Replay(_captured_ocsp_response(pki, "jan")) as replay:
        error = refused(token, challenge=challenge, config=config_for(pki, ocsp_url=replay.url))

    assert error.code == "ocsp_invalid"
    assert "nonce" in error.detail


def test_a_good_answer_about_another_card_is_refused(pki):
    challenge = new_challenge()
    token = card_token(pki, "luc", challenge=challenge)  # revoked
    with _Replay(_captured_ocsp_response(pki, "jan")) as replay:  # "good", but Jan's
        error = refused(
            token,
            challenge=challenge,
            config=config_for(pki, ocsp_url=replay.url, ocsp_nonce=False),
        )

    assert error.code == "ocsp_invalid"
    assert "another certificate" in error.detail


def test_an_ocsp_answer_signed_by_a_card_key_is_refused(pki):
    challenge = new_challenge()
    token = card_token(pki, "luc", challenge=challenge)
    card_cert = x509_cert(pki, "marie-auth")
    now = datetime.now(tz=UTC)
    forged = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=x509_cert(pki, "luc-auth"),
            issuer=x509_cert(pki, "citizen-ca"),
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + timedelta(minutes=10),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, card_cert)
        .certificates([card_cert])
        .sign(pki.private_key("marie-auth"), hashes.SHA384())
    )
    with _Replay(forged.public_bytes(serialization.Encoding.DER)) as replay:
        error = refused(
            token,
            challenge=challenge,
            config=config_for(pki, ocsp_url=replay.url, ocsp_nonce=False),
        )

    assert error.code == "ocsp_invalid"
    assert "may not sign OCSP" in error.detail


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def test_an_ocsp_answer_from_a_responder_of_a_rogue_ca_is_refused(pki):
    challenge = new_challenge()
    token = card_token(pki, "luc", challenge=challenge)
    citizen_ca = x509_cert(pki, "citizen-ca")
    rogue_ca_key = ec.generate_private_key(ec.SECP384R1())  # claims the citizen CA's name
    responder_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(tz=UTC)
    responder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "OCSP")]))
        .issuer_name(citizen_ca.subject)
        .public_key(responder_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.OCSP_SIGNING]), False)
        .sign(rogue_ca_key, hashes.SHA256())
    )
    forged = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=x509_cert(pki, "luc-auth"),
            issuer=citizen_ca,
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + timedelta(minutes=10),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
        .certificates([responder])
        .sign(responder_key, hashes.SHA256())
    )
    with _Replay(forged.public_bytes(serialization.Encoding.DER)) as replay:
        error = refused(
            token,
            challenge=challenge,
            config=config_for(pki, ocsp_url=replay.url, ocsp_nonce=False),
        )

    assert error.code == "ocsp_invalid"
    assert "not issued by a trusted CA" in error.detail


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 200, "ocsp_invalid"),
        (b"<html>maintenance</html>", 503, "ocsp_unavailable"),
        (_unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER), 200, "ocsp_unavailable"),
        (_unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR), 200, "ocsp_unavailable"),
        (_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST), 200, "ocsp_invalid"),
    ],
    ids=["empty-body", "http-503", "try-later", "internal-error", "malformed-request"],
)
def test_a_responder_that_cannot_answer_is_reported_as_such(pki, body, status, code):
    challenge = new_challenge()
    token = card_token(pki, "jan", challenge=challenge)
    with _Replay(body, status) as replay:
        error = refused(token, challenge=challenge, config=config_for(pki, ocsp_url=replay.url))

    assert error.code == code
    assert "cannot check your card right now" in str(error.message)


# --- Origin ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://paraph.example.be", "https://paraph.example.be"),
        ("https://Paraph.Example.BE/", "https://paraph.example.be"),
        ("https://paraph.example.be:443/app/", "https://paraph.example.be"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:80", "http://localhost"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ],
)
def test_the_origin_is_written_as_browsers_write_it(url, origin):
    assert webeid.origin_from_url(url) == origin


def test_a_configuration_refuses_an_origin_with_a_path(pki):
    with pytest.raises(ValueError):
        config_for(pki, origin="https://paraph.example.be/")


def test_an_unreadable_ca_file_is_a_configuration_error(tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    (tmp_path / "garbage.pem").write_text("not a certificate")

    for path in (tmp_path / "missing.pem", tmp_path / "garbage.pem"):
        with pytest.raises(ImproperlyConfigured, match=str(path)):
            webeid.certificates_load([path])


def test_ca_files_may_be_pem_bundles_or_der(pki, tmp_path):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(
        pki.pem_path("citizen-ca").read_bytes() + pki.pem_path("foreigner-ca").read_bytes()
    )
    der = tmp_path / "root.der"
    der.write_bytes(pki.cert_der("belgium-root"))

    loaded = webeid.certificates_load([bundle, der])

    assert [c.subject.rfc4514_string() for c in loaded] == [
        x509_cert(pki, label).subject.rfc4514_string()
        for label in ("citizen-ca", "foreigner-ca", "belgium-root")
    ]
