"""Web eID authentication tokens, validated as Web eID's reference
validators do (``web-eid-authtoken-validation-java``), for the Belgian eID
card.

The server issues a challenge nonce (:func:`challenge_issue`), kept in the
person's server-side session for five minutes and used once
(:func:`challenge_take` removes it on the first attempt, whatever the
outcome). The browser extension has the card sign
``hash(origin) || hash(challenge)`` with its authentication key and returns
the token ``{"unverifiedCertificate", "algorithm", "signature", "format",
"appVersion"}``. :func:`token_validate` then checks, in this order, each
refusal with its own :class:`WebEidError` code: the token's shape and
format; the certificate (parses, valid now, keyUsage digitalSignature, an
extended key usage only if it allows client authentication, no disallowed
policy); its issuer among the configured CAs; its status by OCSP (with a
nonce, a time-out and a maximum age); and finally the signature, for
Paraph's exact origin. Nothing here trusts the operating system's
certificate store, and nothing is skipped in the sandbox: the virtual card
(``paraph.identity.providers.eid.sandbox``) is checked exactly like a real one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from paraph.identity.providers.eid.config import (
    WebEidConfig,
    certificates_load,
    issued_by,
    origin_from_url,
)
from paraph.identity.providers.eid.ocsp import ocsp_check, ocsp_url
from paraph.identity.providers.eid.refusals import MESSAGES, WebEidError

TOKEN_FORMAT = re.compile(r"web-eid:1(\.[0-9]+)*")
TOKEN_MAX_CHARS = 10_000
CHALLENGE_BYTES = 32  # 256 bits, as Web eID requires at least
CHALLENGE_TTL = timedelta(minutes=5)
SESSION_KEY = "paraph.identity.webeid.challenge"

# RFC 7518 names: the hash of each, and which key and signature scheme.
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
ALGORITHMS = frozenset(f"{kind}{size}" for kind in ("ES", "PS", "RS") for size in _HASHES)
_EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}

# --- Challenge -------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    # datetime.now, not a cached clock, so tests may move time (time_machine).
    return now if now is not None else datetime.now(tz=UTC)


def challenge_issue(session: Any, *, now: datetime | None = None) -> str:
    """A fresh challenge nonce (256 random bits, base64) stored in
    ``session`` (the person's server-side session, never a shared cache),
    replacing any earlier one."""
    nonce = base64.b64encode(secrets.token_bytes(CHALLENGE_BYTES)).decode("ascii")
    session[SESSION_KEY] = {"nonce": nonce, "issued_at": _now(now).timestamp()}
    return nonce


def challenge_take(session: Any, *, now: datetime | None = None) -> str:
    """The session's challenge, removed from it: a challenge serves one
    validation attempt, successful or not. Refuses a missing (never issued,
    or already used) and an expired one."""
    stored = session.pop(SESSION_KEY, None)
    if not isinstance(stored, dict) or not isinstance(stored.get("nonce"), str):
        raise WebEidError("challenge_missing")
    issued_at = datetime.fromtimestamp(float(stored.get("issued_at", 0)), tz=UTC)
    if _now(now) - issued_at > CHALLENGE_TTL or _now(now) < issued_at:
        raise WebEidError("challenge_expired", f"issued at {issued_at.isoformat()}")
    return str(stored["nonce"])


@dataclass(frozen=True)
class EidIdentity:
    """Who the card belongs to, read from its authentication certificate."""

    national_number: str
    given_name: str
    surname: str
    certificate_der: bytes = field(repr=False)
    fingerprint: str  # SHA-256 of the certificate, hex
    issuer: str  # the issuing CA's common name


@dataclass(frozen=True)
class AuthToken:
    unverified_certificate: str
    algorithm: str
    signature: str
    format: str
    app_version: str = ""


# --- Parsing ------------------------------------------------------------------


def token_parse(value: str | bytes | Mapping[str, Any]) -> AuthToken:
    """The token's fields, or ``token_malformed`` / ``format_unsupported``."""
    if isinstance(value, bytes | str):
        if len(value) > TOKEN_MAX_CHARS:
            raise WebEidError("token_malformed", "too long")
        try:
            value = json.loads(value)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebEidError("token_malformed", "not JSON") from exc
    if not isinstance(value, Mapping):
        raise WebEidError("token_malformed", "not a JSON object")
    fields: dict[str, str] = {}
    for name in ("unverifiedCertificate", "algorithm", "signature", "format"):
        item = value.get(name)
        if not isinstance(item, str) or not item:
            raise WebEidError("token_malformed", f"{name} missing or not a string")
        if len(item) > TOKEN_MAX_CHARS:
            raise WebEidError("token_malformed", f"{name} too long")
        fields[name] = item
    app_version = value.get("appVersion", "")
    if not isinstance(app_version, str):
        raise WebEidError("token_malformed", "appVersion not a string")
    if not TOKEN_FORMAT.fullmatch(fields["format"]):
        raise WebEidError("format_unsupported", fields["format"][:40])
    return AuthToken(
        unverified_certificate=fields["unverifiedCertificate"],
        algorithm=fields["algorithm"],
        signature=fields["signature"],
        format=fields["format"],
        app_version=app_version[:200],
    )


def _b64decode(value: str, code: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise WebEidError(code, "not base64") from exc


# --- Validation ---------------------------------------------------------------


def token_validate(
    token: AuthToken | str | bytes | Mapping[str, Any],
    *,
    challenge: str,
    config: WebEidConfig,
    now: datetime | None = None,
) -> EidIdentity:
    """Validate a Web eID authentication token against ``challenge`` (the
    nonce :func:`challenge_take` returned). Returns who the card belongs
    to, or raises :class:`WebEidError`."""
    if not challenge:
        raise WebEidError("challenge_missing")
    now = _now(now)
    if not isinstance(token, AuthToken):
        token = token_parse(token)
    if token.algorithm not in ALGORITHMS:
        raise WebEidError("algorithm_unsupported", token.algorithm[:20])
    certificate = _certificate_load(
        _b64decode(token.unverified_certificate, "certificate_malformed")
    )
    public_key = certificate.public_key()
    signature = _b64decode(token.signature, "signature_malformed")

    _check_validity(certificate, now)
    _check_purpose(certificate)
    _check_policies(certificate, config.disallowed_policies)
    issuer = _trusted_issuer(certificate, config.trusted_cas, now)
    if config.ocsp:
        ocsp_check(certificate, issuer, config=config, now=now)
    # A valid signature proves both the origin and the challenge: the card
    # signed exactly hash(origin) || hash(challenge).
    _check_signature(public_key, token.algorithm, signature, config.origin, challenge)
    return _identity(certificate, issuer)


def _certificate_load(der: bytes) -> x509.Certificate:
    """The certificate, every part the checks read parsed now: the library
    parses lazily, and a broken name or extension must be refused here,
    not surface as another error later."""
    try:
        certificate = x509.load_der_x509_certificate(der)
        certificate.version  # noqa: B018
        certificate.public_key()
        certificate.subject.rfc4514_string()
        certificate.issuer.rfc4514_string()
        list(certificate.extensions)
        certificate.not_valid_before_utc, certificate.not_valid_after_utc  # noqa: B018
        certificate.signature_hash_algorithm  # noqa: B018
    except Exception as exc:
        raise WebEidError(
            "certificate_malformed", f"{exc.__class__.__name__}: {exc}"[:200]
        ) from exc
    _check_single_encoding(der)
    return certificate


def _check_single_encoding(der: bytes) -> None:
    """Refuse the parts outside the CA's signature that could be written
    differently without breaking it (the signature algorithm repeated
    outside the signed part, padding bits in the signature's BIT STRING):
    one certificate must have one encoding, hence one fingerprint."""
    try:
        parsed = asn1_x509.Certificate.load(der)
        outer = parsed["signature_algorithm"].dump()
        inner = parsed["tbs_certificate"]["signature"].dump()
        unused_bits = parsed["signature_value"].contents[:1]
    except Exception as exc:
        raise WebEidError(
            "certificate_malformed", f"{exc.__class__.__name__}: {exc}"[:200]
        ) from exc
    if outer != inner:
        raise WebEidError("certificate_malformed", "the signature algorithms differ")
    if unused_bits != b"\x00":
        raise WebEidError("certificate_malformed", "padding bits in the signature")


def _check_validity(certificate: x509.Certificate, now: datetime) -> None:
    if now < certificate.not_valid_before_utc:
        raise WebEidError("certificate_not_yet_valid", certificate.not_valid_before_utc.isoformat())
    if now > certificate.not_valid_after_utc:
        raise WebEidError("certificate_expired", certificate.not_valid_after_utc.isoformat())


def _check_purpose(certificate: x509.Certificate) -> None:
    try:
        key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise WebEidError("certificate_key_usage", "no keyUsage") from None
    except ValueError as exc:
        raise WebEidError("certificate_malformed", str(exc)[:200]) from exc
    if not key_usage.digital_signature:
        raise WebEidError("certificate_key_usage", "no digitalSignature")
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return  # digitalSignature and no EKU: an authentication certificate (Belgian eID)
    if ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        raise WebEidError(
            "certificate_extended_key_usage", ",".join(oid.dotted_string for oid in eku)
        )


def _check_policies(certificate: x509.Certificate, disallowed: frozenset[str]) -> None:
    if not disallowed:
        return
    try:
        policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return
    for policy in policies:
        if policy.policy_identifier.dotted_string in disallowed:
            raise WebEidError("certificate_policy", policy.policy_identifier.dotted_string)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _trusted_issuer(
    certificate: x509.Certificate, trusted: tuple[x509.Certificate, ...], now: datetime
) -> x509.Certificate:
    for ca in trusted:
        if not issued_by(certificate, ca):
            continue
        if not _is_ca(ca):
            raise WebEidError("certificate_untrusted", "the issuer is not a CA")
        if not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc:
            raise WebEidError("certificate_untrusted", "the issuing CA is not valid now")
        return ca
    raise WebEidError("certificate_untrusted", certificate.issuer.rfc4514_string()[:200])


def _check_signature(
    public_key: Any, algorithm: str, signature: bytes, origin: str, challenge: str
) -> None:
    hash_class = _HASHES[algorithm[2:]]
    signed = _digest(hash_class, origin.encode("utf-8")) + _digest(
        hash_class, challenge.encode("utf-8")
    )
    try:
        if algorithm.startswith("ES"):
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                raise WebEidError("algorithm_unsupported", f"{algorithm} with a non-EC key")
            if public_key.curve.name != _EC_CURVES[algorithm]:
                raise WebEidError(
                    "algorithm_unsupported", f"{algorithm} on {public_key.curve.name}"
                )
            size = (public_key.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                raise WebEidError("signature_invalid", "ECDSA value is not raw r||s")
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            public_key.verify(utils.encode_dss_signature(r, s), signed, ec.ECDSA(hash_class()))
        else:
            if not isinstance(public_key, rsa.RSAPublicKey):
                raise WebEidError("algorithm_unsupported", f"{algorithm} with a non-RSA key")
            pad: padding.AsymmetricPadding
            if algorithm.startswith("PS"):
                pad = padding.PSS(
                    mgf=padding.MGF1(hash_class()), salt_length=hash_class().digest_size
                )
            else:
                pad = padding.PKCS1v15()
            public_key.verify(signature, signed, pad, hash_class())
    except InvalidSignature:
        raise WebEidError("signature_invalid") from None


def _digest(hash_class: type[hashes.HashAlgorithm], data: bytes) -> bytes:
    digest = hashes.Hash(hash_class())
    digest.update(data)
    return digest.finalize()


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value).strip() if values else ""


def _identity(certificate: x509.Certificate, issuer: x509.Certificate) -> EidIdentity:
    # The CA vouches for the subject: its serialNumber is the national
    # register number (or BIS number) on Belgian cards.
    subject = certificate.subject
    national_number = _attribute(subject, NameOID.SERIAL_NUMBER)
    if not re.fullmatch(r"[0-9]{11}", national_number):
        raise WebEidError("certificate_no_national_number", national_number[:20])
    der = certificate.public_bytes(serialization.Encoding.DER)
    return EidIdentity(
        national_number=national_number,
        given_name=_attribute(subject, NameOID.GIVEN_NAME),
        surname=_attribute(subject, NameOID.SURNAME),
        certificate_der=der,
        fingerprint=hashlib.sha256(der).hexdigest(),
        issuer=_attribute(issuer.subject, NameOID.COMMON_NAME),
    )


# What callers use (the configuration and refusals live in ``config`` and
# ``refusals``, the card's status in ``ocsp``; they are named here too).
__all__ = [
    "ALGORITHMS",
    "CHALLENGE_TTL",
    "MESSAGES",
    "SESSION_KEY",
    "AuthToken",
    "EidIdentity",
    "WebEidConfig",
    "WebEidError",
    "certificates_load",
    "challenge_issue",
    "challenge_take",
    "ocsp_check",
    "ocsp_url",
    "origin_from_url",
    "token_parse",
    "token_validate",
]
