"""Web eID tokens forged in Python with the test PKI's card keys (what a
card behind the Web eID extension would produce, and what an attacker
might try), and certificates the test PKI does not have (no
digitalSignature, a server-only EKU, another CA with the same name).

Import the fixtures into a test module: ``from
paraph.identity.tests.webeid_support import pki, webeid_config  # noqa: F401``.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from paraph.identity.providers.eid import webeid
from paraph.signing.tests.pki import TestPki, start_pki

ORIGIN = "https://paraph.example.be"

# The test PKI's card holders: (given name, surname, national number).
HOLDERS = {
    "jan": ("Jan", "Peeters", "85073003328"),  # citizen, RSA-2048
    "marie": ("Marie", "Dubois", "90021400227"),  # citizen, EC P-384
    "ahmed": ("Ahmed", "El Amrani", "92110512387"),  # foreigner, EC P-384
    "luc": ("Luc", "Janssens", "70041204526"),  # revoked
    "sofie": ("Sofie", "Maes", "01031506640"),  # expired
}


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPki]:
    test_pki = start_pki(tmp_path_factory.mktemp("identity-pki"))
    yield test_pki
    test_pki.close()


@pytest.fixture
def webeid_config(pki: TestPki) -> webeid.WebEidConfig:
    return config_for(pki)


def config_for(pki: TestPki, **changes: Any) -> webeid.WebEidConfig:
    values: dict[str, Any] = {
        "origin": ORIGIN,
        "trusted_cas": (x509_cert(pki, "citizen-ca"), x509_cert(pki, "foreigner-ca")),
    }
    values.update(changes)
    return webeid.WebEidConfig(**values)


def x509_cert(pki: TestPki, label: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(pki.cert_der(label))


def new_challenge() -> str:
    return webeid.challenge_issue({})


def default_algorithm(private_key: Any) -> str:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return "RS256"
    return {256: "ES256", 384: "ES384", 521: "ES512"}[private_key.curve.key_size]


def sign_token(
    private_key: Any,
    certificate_der: bytes,
    *,
    challenge: str,
    origin: str = ORIGIN,
    algorithm: str | None = None,
    token_format: str = "web-eid:1.0",
) -> dict[str, str]:
    """The token a card would return: ``algorithm`` over
    ``hash(origin) || hash(challenge)``, ECDSA as raw r||s."""
    algorithm = algorithm or default_algorithm(private_key)
    hash_classes: dict[str, Callable[[], hashes.HashAlgorithm]] = {
        "256": hashes.SHA256,
        "384": hashes.SHA384,
        "512": hashes.SHA512,
    }
    hash_class = hash_classes[algorithm[2:]]

    def digest(value: str) -> bytes:
        h = hashes.Hash(hash_class())
        h.update(value.encode())
        return h.finalize()

    signed = digest(origin) + digest(challenge)
    if algorithm.startswith("ES"):
        r, s = utils.decode_dss_signature(private_key.sign(signed, ec.ECDSA(hash_class())))
        size = (private_key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    elif algorithm.startswith("PS"):
        signature = private_key.sign(
            signed,
            padding.PSS(mgf=padding.MGF1(hash_class()), salt_length=hash_class().digest_size),
            hash_class(),
        )
    else:
        signature = private_key.sign(signed, padding.PKCS1v15(), hash_class())
    return {
        "unverifiedCertificate": base64.b64encode(certificate_der).decode(),
        "algorithm": algorithm,
        "signature": base64.b64encode(signature).decode(),
        "format": token_format,
        "appVersion": "https://web-eid.eu/web-eid-app/releases/2.5.0+0",
    }


def card_token(pki: TestPki, holder: str, *, challenge: str, **options: Any) -> dict[str, str]:
    """The token of a test PKI card holder's authentication key."""
    return sign_token(
        pki.private_key(f"{holder}-auth"),
        pki.cert_der(f"{holder}-auth"),
        challenge=challenge,
        **options,
    )


def forged_certificate(
    pki: TestPki,
    *,
    key_usage: dict[str, bool] | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    policies: list[str] | None = None,
    issuer_label: str = "citizen-ca",
    issuer_key: Any = None,
    key: Any = None,
) -> tuple[Any, bytes]:
    """A card-like certificate issued (by default) by the test citizen CA
    with its real key: ``(private key, DER)``."""
    key = key or ec.generate_private_key(ec.SECP384R1())
    issuer = x509_cert(pki, issuer_label)
    usage = {
        name: False
        for name in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        )
    }
    usage.update(key_usage if key_usage is not None else {"digital_signature": True})
    now = datetime.now(tz=UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "Eve Forger (Authentication)"),
                    x509.NameAttribute(NameOID.SURNAME, "Forger"),
                    x509.NameAttribute(NameOID.GIVEN_NAME, "Eve"),
                    x509.NameAttribute(NameOID.SERIAL_NUMBER, "85073003328"),
                ]
            )
        )
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(pki.url(f"ocsp/{issuer_label}")),
                    )
                ]
            ),
            critical=False,
        )
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if policies:
        builder = builder.add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(x509.ObjectIdentifier(oid), None) for oid in policies]
            ),
            critical=False,
        )
    certificate = builder.sign(issuer_key or pki.private_key(issuer_label), hashes.SHA256())
    return key, certificate.public_bytes(serialization.Encoding.DER)


SERVER_AUTH_ONLY = [ExtendedKeyUsageOID.SERVER_AUTH]
CLIENT_AUTH = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]


def closed_port_url() -> str:
    """An OCSP address where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ocsp"


# --- The sandbox's virtual cards ---------------------------------------------


@pytest.fixture(scope="session")
def eid_sandbox_template(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sandbox PKI, generated once per test run."""
    from django.test import override_settings

    from paraph.identity.providers.eid import sandbox as eid_sandbox

    directory = tmp_path_factory.mktemp("eid-sandbox-template") / "eid-sandbox"
    with override_settings(EID_SANDBOX_DIR=directory):
        eid_sandbox.sandbox_dir()
    return directory


@pytest.fixture
def eid_sandbox(eid_sandbox_template: Any, tmp_path: Any, settings: Any) -> Any:
    """Sandbox mode with the virtual cards (a copy of their PKI, so PIN
    counters never leak between tests) and no eID CAs configured."""
    import shutil

    directory = tmp_path / "eid-sandbox"
    shutil.copytree(eid_sandbox_template, directory)
    settings.SANDBOX = True
    settings.EID_SANDBOX_DIR = directory
    settings.EID_CAS = []
    settings.EID_OCSP_URL = ""
    settings.EID_VIRTUAL_READER = True
    return directory
