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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, utils
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from paraph.identity.providers import IdentityError

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

# What the person reads: what happened, then what to do next.
MESSAGES: dict[str, tuple[Any, Any]] = {
    "token_malformed": (
        _("The answer from your card could not be read."),
        _("Try again. If it happens again, update the eID software and the Web eID extension."),
    ),
    "format_unsupported": (
        _("Your Web eID software uses a version that Paraph does not know."),
        _("Update the Web eID extension and the eID software, then try again."),
    ),
    "certificate_malformed": (
        _("The certificate sent by your card could not be read."),
        _("Check that your eID card is in the reader, then try again."),
    ),
    "algorithm_unsupported": (
        _("Your card signed in a way that Paraph does not accept."),
        _("Update the eID software and the Web eID extension, then try again."),
    ),
    "signature_malformed": (
        _("The signature made by your card could not be read."),
        _("Try again. If it happens again, update the eID software and the Web eID extension."),
    ),
    "challenge_missing": (
        _("This log-in attempt has already been used, or it was not started on this page."),
        _("Start again from this page."),
    ),
    "challenge_expired": (
        _("This log-in attempt took more than five minutes and has ended."),
        _("Start again from this page."),
    ),
    "certificate_not_yet_valid": (
        _("The certificate on your card is not valid yet."),
        _("Check the date and time of your computer, or try again tomorrow."),
    ),
    "certificate_expired": (
        _("Your eID card has expired."),
        _("Ask your municipality for a new card, or register with itsme."),
    ),
    "certificate_key_usage": (
        _("This certificate on your card cannot be used to log in."),
        _("Try again and choose the authentication certificate if you are asked."),
    ),
    "certificate_extended_key_usage": (
        _("This certificate is not meant for logging in to websites."),
        _("Try again and choose the authentication certificate if you are asked."),
    ),
    "certificate_policy": (
        _("This kind of certificate is not accepted by Paraph."),
        _("Use your Belgian eID card, or register with itsme."),
    ),
    "certificate_untrusted": (
        _("Paraph does not accept cards from the authority that issued this one."),
        _(
            "Paraph accepts Belgian eID cards (for Belgians and foreign residents). "
            "Otherwise, register with itsme or IDnow."
        ),
    ),
    "certificate_no_national_number": (
        _("The certificate on your card has no national register number."),
        _("Call the contact centre: they will help you register."),
    ),
    "certificate_revoked": (
        _("Your eID card has been revoked (reported lost or stolen, or replaced)."),
        _("If you have a newer card, use it. Otherwise, ask your municipality or use itsme."),
    ),
    "certificate_status_unknown": (
        _("The authority that issued your card does not know this card."),
        _("Call the contact centre: they will help you."),
    ),
    "ocsp_unavailable": (
        _("We cannot check your card right now: the Belgian card check service does not answer."),
        _("Try again in a few minutes, or register with itsme."),
    ),
    "ocsp_invalid": (
        _("We cannot check your card right now: the card check service's answer is not valid."),
        _("Try again in a few minutes, or register with itsme."),
    ),
    "signature_invalid": (
        _("Your card's signature does not match this log-in."),
        _(
            "Start again from this page, in the same window. Never log in through a link "
            "or page that someone sent you."
        ),
    ),
}


class WebEidError(IdentityError):
    """A refused token. ``code`` names the check that failed (for logs and
    tests); ``message`` says what happened then what to do next
    (``reason`` and ``next_step`` separately), translated when shown, safe
    to show the person; ``detail`` is for logs only."""

    def __init__(self, code: str, detail: str = "") -> None:
        reason, next_step = MESSAGES[code]
        # Lazy: translated into the person's language when it is shown.
        message: Any = format_lazy("{} {}", reason, next_step)
        super().__init__(code, message)
        self.reason = reason
        self.next_step = next_step
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code


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


# --- Configuration and result -----------------------------------------------


def origin_from_url(url: str) -> str:
    """The Web origin of ``url`` as a browser writes it: ``scheme://host``
    plus the port unless it is the scheme's default, no trailing slash."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) address: {url!r}")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def certificates_load(paths: Iterable[str | Path]) -> tuple[x509.Certificate, ...]:
    """Every certificate in the given files (PEM, possibly several per file,
    or DER); a file that cannot be read is a configuration error."""
    found: list[x509.Certificate] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
            if b"-----BEGIN CERTIFICATE-----" in data:
                found.extend(x509.load_pem_x509_certificates(data))
            else:
                found.append(x509.load_der_x509_certificate(data))
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(f"cannot read the eID CA certificate {path}: {exc}") from exc
    return tuple(found)


@dataclass(frozen=True)
class WebEidConfig:
    """How tokens are validated.

    ``origin``: Paraph's origin (``https://paraph.example.be``).
    ``trusted_cas``: the CAs whose cards may log in (Belgium's citizen and
    foreigner CAs); an OCSP responder's certificate must be issued by one
    of them too, so the root that issues Belgium's responder certificate
    may be listed as well. ``ocsp_url``: ask this responder instead of the
    one named in the certificate (AIA). ``disallowed_policies``: certificate
    policy OIDs that are refused."""

    origin: str
    trusted_cas: tuple[x509.Certificate, ...]
    disallowed_policies: frozenset[str] = frozenset()
    ocsp: bool = True
    ocsp_url: str | None = None
    ocsp_timeout: float = 5.0
    ocsp_max_age: timedelta = timedelta(minutes=2)
    ocsp_time_skew: timedelta = timedelta(minutes=15)
    ocsp_nonce: bool = True

    def __post_init__(self) -> None:
        if origin_from_url(self.origin) != self.origin:
            raise ValueError(f"origin must be scheme://host[:port], not {self.origin!r}")
        if not self.trusted_cas:
            raise ValueError("at least one trusted CA certificate is needed")


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


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _trusted_issuer(
    certificate: x509.Certificate, trusted: tuple[x509.Certificate, ...], now: datetime
) -> x509.Certificate:
    for ca in trusted:
        if not _issued_by(certificate, ca):
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


# --- OCSP -----------------------------------------------------------------------


def ocsp_url(certificate: x509.Certificate) -> str | None:
    """The OCSP responder named in the certificate's AIA extension."""
    try:
        aia = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for description in aia:
        if description.access_method == x509.AuthorityInformationAccessOID.OCSP and isinstance(
            description.access_location, x509.UniformResourceIdentifier
        ):
            return description.access_location.value
    return None


def ocsp_check(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    *,
    config: WebEidConfig,
    now: datetime,
) -> None:
    """Ask the card's OCSP responder whether ``certificate`` is good.

    Refuses a revoked card (``certificate_revoked``) and one the responder
    does not know (``certificate_status_unknown``); a responder that does
    not answer, in time or at all, gives ``ocsp_unavailable``; an answer
    that cannot be trusted (bad signature, unauthorised signer, another
    certificate, a missing or different nonce, too old) ``ocsp_invalid``.
    """
    url = config.ocsp_url or ocsp_url(certificate)
    if not url:
        raise WebEidError("ocsp_invalid", "no OCSP address in the certificate")
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())  # noqa: S303 - CertID hash, what responders expect
    nonce = secrets.token_bytes(32)
    if config.ocsp_nonce:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    request = builder.build()
    try:
        answer = httpx.post(
            url,
            content=request.public_bytes(serialization.Encoding.DER),
            headers={"Content-Type": "application/ocsp-request"},
            timeout=config.ocsp_timeout,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise WebEidError("ocsp_unavailable", f"{url}: {exc.__class__.__name__}") from exc
    if answer.status_code != 200:
        raise WebEidError("ocsp_unavailable", f"{url}: HTTP {answer.status_code}")
    try:
        response = ocsp.load_der_ocsp_response(answer.content)
    except ValueError as exc:
        raise WebEidError("ocsp_invalid", f"{url}: unreadable response") from exc
    status_name = response.response_status.name
    if response.response_status in (
        ocsp.OCSPResponseStatus.TRY_LATER,
        ocsp.OCSPResponseStatus.INTERNAL_ERROR,
    ):
        raise WebEidError("ocsp_unavailable", f"{url}: {status_name}")
    if response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED:
        # The responder will not speak for this certificate: its CA does not know it.
        raise WebEidError("certificate_status_unknown", f"{url}: {status_name}")
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise WebEidError("ocsp_invalid", f"{url}: {status_name}")
    _ocsp_verify(response, request, issuer, config=config, now=now, nonce=nonce)
    status = response.certificate_status
    if status == ocsp.OCSPCertStatus.REVOKED:
        raise WebEidError("certificate_revoked", f"since {response.revocation_time_utc}")
    if status != ocsp.OCSPCertStatus.GOOD:
        raise WebEidError("certificate_status_unknown", url)


def _ocsp_verify(
    response: ocsp.OCSPResponse,
    request: ocsp.OCSPRequest,
    issuer: x509.Certificate,
    *,
    config: WebEidConfig,
    now: datetime,
    nonce: bytes,
) -> None:
    # RFC 6960, 3.2: the response is about the certificate asked for...
    singles = list(response.responses)
    if len(singles) != 1:
        raise WebEidError("ocsp_invalid", f"{len(singles)} responses instead of one")
    single = singles[0]
    if (
        single.serial_number != request.serial_number
        or single.issuer_key_hash != request.issuer_key_hash
        or single.issuer_name_hash != request.issuer_name_hash
    ):
        raise WebEidError("ocsp_invalid", "the response is about another certificate")
    # ... signed by the CA itself or by a responder a trusted CA authorised...
    responder = _ocsp_responder(response, issuer, config.trusted_cas, now)
    try:
        _verify_signed(
            responder.public_key(),
            response.signature,
            response.tbs_response_bytes,
            response.signature_hash_algorithm,
        )
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise WebEidError("ocsp_invalid", "bad response signature") from exc
    # ... recent enough ...
    this_update = single.this_update_utc
    if this_update > now + config.ocsp_time_skew:
        raise WebEidError("ocsp_invalid", f"thisUpdate {this_update} is in the future")
    if this_update < now - config.ocsp_max_age:
        raise WebEidError("ocsp_invalid", f"thisUpdate {this_update} is too old")
    next_update = single.next_update_utc
    if next_update is not None and (
        next_update < now - config.ocsp_time_skew or next_update < this_update
    ):
        raise WebEidError("ocsp_invalid", f"nextUpdate {next_update} is in the past")
    # ... and not a replay.
    if config.ocsp_nonce:
        try:
            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            raise WebEidError("ocsp_invalid", "no nonce in the response") from None
        if echoed != nonce:
            raise WebEidError("ocsp_invalid", "the response's nonce differs")


def _ocsp_responder(
    response: ocsp.OCSPResponse,
    issuer: x509.Certificate,
    trusted: tuple[x509.Certificate, ...],
    now: datetime,
) -> x509.Certificate:
    """The certificate whose key signed the response: the card's CA, or a
    delegated responder issued by a trusted CA, valid now, for OCSP signing."""
    if _responder_is(response, issuer):
        return issuer
    for candidate in response.certificates:
        if not _responder_is(response, candidate):
            continue
        if not candidate.not_valid_before_utc <= now <= candidate.not_valid_after_utc:
            raise WebEidError("ocsp_invalid", "the responder's certificate is not valid now")
        try:
            eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            raise WebEidError("ocsp_invalid", "the responder may not sign OCSP") from None
        if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
            raise WebEidError("ocsp_invalid", "the responder may not sign OCSP")
        if not any(_issued_by(candidate, ca) for ca in trusted):
            raise WebEidError("ocsp_invalid", "the responder is not issued by a trusted CA")
        return candidate
    raise WebEidError("ocsp_invalid", "unknown responder")


def _responder_is(response: ocsp.OCSPResponse, certificate: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == certificate.subject
    # RFC 6960's KeyHash is SHA-1 over the subjectPublicKey bits, as is
    # RFC 5280's first method of deriving a key identifier.
    key_hash = x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
    return response.responder_key_hash == key_hash


def _verify_signed(
    public_key: Any,
    signature: bytes,
    data: bytes,
    hash_algorithm: hashes.HashAlgorithm | None,
) -> None:
    if isinstance(public_key, rsa.RSAPublicKey) and hash_algorithm is not None:
        public_key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey) and hash_algorithm is not None:
        public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
    elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        public_key.verify(signature, data)
    else:
        raise UnsupportedAlgorithm("unsupported OCSP signature")
