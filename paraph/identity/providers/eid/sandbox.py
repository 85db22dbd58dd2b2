"""The sandbox's virtual eID cards (only when ``settings.SANDBOX``).

A small Belgian-like PKI is generated in ``settings.EID_SANDBOX_DIR`` on
first use: "SANDBOX Belgium Root", "SANDBOX Citizen CA" (whose OCSP
responder is Paraph itself, :func:`ocsp_respond`), and one card for each
demo person of ``paraph demo``, plus a revoked and an expired card to try
refusals. Each card holds an authentication key and certificate and a
signature key and certificate, as a real card does; the "minor" card
(a holder under 18) has a signature certificate that is not active for
signing: its key usage lacks nonRepudiation, so it is refused for signing
as a Belgian minor's card is (its authentication works).

The card keys stay on the server. The page's virtual card reader
(``identity/eid-virtual-reader.js``) answers the Web eID extension's
messages; when the person types the PIN, it asks :func:`card_authenticate`
to sign the challenge for the page's origin, exactly what a card does
behind the Web eID extension, and hands the token back to the page. The
token is then validated by :mod:`paraph.identity.providers.eid.webeid` like any other.
For signing, :func:`card_signing_certificate` gives the card's signature
certificate (no PIN, as with a real card) and :func:`card_sign` signs a
hash once the PIN is right. The PIN is 1234, one PIN for both keys as on a
real card (one wrong-PIN counter); three wrong PINs in a row block the card, as on a real
card (:func:`card_unblock` plays the municipality's PUK).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.http import HttpRequest

from paraph.core.demo import DEMO_PEOPLE
from paraph.core.sandbox import SANDBOX_EXPIRED_CARD_UNTIL, SANDBOX_VALID_FROM

PIN = "1234"
PIN_TRIES = 3
TOKEN_FORMAT = "web-eid:1.0"
APP_VERSION = "https://paraph.invalid/sandbox/virtual-eid-card/1.0"
_REVOKED_SINCE = datetime(2025, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SandboxCard:
    id: str
    given_name: str
    surname: str
    national_number: str
    key_type: str  # "rsa2048" (applet 1.7) or "p384" (applet 1.8)
    state: str = "valid"  # "valid", "revoked", "expired" or "minor" (no active signature)


def sandbox_cards() -> list[SandboxCard]:
    """One card per demo person, then the cards that show refusals."""
    cards = [
        SandboxCard(
            id=f"card{n}",
            given_name=person["first_name"],
            surname=person["last_name"],
            national_number=person["national_number"],
            key_type="rsa2048" if n % 2 else "p384",
        )
        for n, person in enumerate(DEMO_PEOPLE, start=1)
    ]
    # Customers not registered yet, to try registering with the card: Marie is
    # found by her national number, Pieter by his address or client reference.
    cards.append(SandboxCard("marie", "Marie", "Dubois", "90021400227", "rsa2048"))
    cards.append(SandboxCard("pieter", "Pieter", "Claes", "88041212335", "p384"))
    cards.append(SandboxCard("revoked", "Luc", "Janssens", "70041204526", "p384", "revoked"))
    cards.append(SandboxCard("expired", "Sofie", "Maes", "01031506640", "p384", "expired"))
    cards.append(SandboxCard("minor", "Lotte", "Willems", "11031512495", "p384", "minor"))
    return cards


class CardError(Exception):
    """``code``: "unknown_card", "pin_wrong" (``tries_left`` set), "pin_blocked",
    or, when signing, "wrong_certificate" (the certificate is not this card's)
    and "bad_hash" (not a hash of the named function)."""

    def __init__(self, code: str, tries_left: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.tries_left = tries_left


# --- The PKI, generated once --------------------------------------------------


def _name(common_name: str, **extra: str) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "BE")]
    if "surname" in extra:
        attributes += [
            x509.NameAttribute(NameOID.SURNAME, extra["surname"]),
            x509.NameAttribute(NameOID.GIVEN_NAME, extra["given_name"]),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, extra["serial_number"]),
        ]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _key(kind: str) -> Any:
    if kind == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1())


def _usage(**on: bool) -> x509.KeyUsage:
    names = (
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
    return x509.KeyUsage(**{name: on.get(name, False) for name in names})


def _write_key(path: Path, key: Any) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _generate(directory: Path, ocsp_url: str) -> None:
    now = datetime.now(tz=UTC).replace(microsecond=0)
    root_key = _key("p384")
    root_name = _name("SANDBOX Belgium Root CA")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(SANDBOX_VALID_FROM)
        .not_valid_after(now + timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA384())
    )
    ca_key = _key("p384")
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("SANDBOX Citizen CA"))
        .issuer_name(root_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(SANDBOX_VALID_FROM)
        .not_valid_after(now + timedelta(days=365 * 15))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA384())
    )
    _write_cert(directory / "root.pem", root)
    _write_cert(directory / "citizen-ca.pem", ca)
    _write_key(directory / "citizen-ca.key.pem", ca_key)
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
            )
        ]
    )
    for card in sandbox_cards():
        folder = directory / "cards" / card.id
        folder.mkdir(parents=True)
        if card.state == "expired":
            start, end = (
                SANDBOX_EXPIRED_CARD_UNTIL - timedelta(days=3650),
                SANDBOX_EXPIRED_CARD_UNTIL,
            )
        else:
            start, end = SANDBOX_VALID_FROM, now + timedelta(days=365 * 10)
        # A minor's signature certificate: not active for signing (no nonRepudiation).
        sign_usage = (
            _usage(digital_signature=True)
            if card.state == "minor"
            else _usage(content_commitment=True)
        )
        for role, usage, label in (
            ("auth", _usage(digital_signature=True), "Authentication"),
            ("sign", sign_usage, "Signature"),
        ):
            key = _key(card.key_type)
            cert = (
                x509.CertificateBuilder()
                .subject_name(
                    _name(
                        f"{card.given_name} {card.surname} ({label})",
                        surname=card.surname,
                        given_name=card.given_name,
                        serial_number=card.national_number,
                    )
                )
                .issuer_name(ca.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start)
                .not_valid_after(end)
                .add_extension(usage, critical=True)
                .add_extension(aia, critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
                )
                .sign(ca_key, hashes.SHA256() if card.key_type == "rsa2048" else hashes.SHA384())
            )
            _write_key(folder / f"{role}.key.pem", key)
            _write_cert(folder / f"{role}.pem", cert)
        (folder / "card.json").write_text(json.dumps(card.__dict__))


def virtual_reader_enabled(request: HttpRequest) -> bool:
    """Whether the virtual card reader answers on a page that uses the card
    (log-in, registration, signing a contract or a mandate: one rule for
    all, the one setting ``EID_VIRTUAL_READER``), unless the page is asked
    for without it (``?reader=none``: what a person without the extension
    sees)."""
    return bool(settings.EID_VIRTUAL_READER) and request.GET.get("reader") != "none"


def _ocsp_url() -> str:
    from django.urls import reverse

    return settings.BASE_URL + reverse("identity:eid_sandbox_ocsp")


def sandbox_dir() -> Path:
    """The sandbox PKI's folder, generated on first call. Safe when two
    processes start at once: each builds in a temporary folder and the
    first rename wins. When Paraph now answers at another address (``make
    run`` on another port, a new ``PARAPH_BASE_URL``), the cards'
    certificates are issued again with the new OCSP address, same keys."""
    directory = Path(settings.EID_SANDBOX_DIR)
    ocsp_url = _ocsp_url()
    if not (directory / "citizen-ca.pem").exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".eid-sandbox-", dir=directory.parent))
        _generate(scratch, ocsp_url)
        (scratch / "ocsp-url.txt").write_text(ocsp_url)
        for path in scratch.rglob("*.key.pem"):
            path.chmod(0o600)
        try:
            os.rename(scratch, directory)
        except OSError:  # another process was first
            shutil.rmtree(scratch, ignore_errors=True)
    recorded = directory / "ocsp-url.txt"
    if not recorded.exists() or recorded.read_text() != ocsp_url:
        _reissue_cards(directory, ocsp_url)
    return directory


def _reissue_cards(directory: Path, ocsp_url: str) -> None:
    """Every card certificate again, with ``ocsp_url`` as its OCSP address:
    same subject, serial, key, validity and extensions. Each file is replaced at
    once (two processes doing it at the same time both write valid ones)."""
    ca = x509.load_pem_x509_certificate((directory / "citizen-ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key(
        (directory / "citizen-ca.key.pem").read_bytes(), password=None
    )
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
            )
        ]
    )
    for path in sorted(directory.glob("cards/*/*.pem")):
        if path.name.endswith(".key.pem"):
            continue
        old = x509.load_pem_x509_certificate(path.read_bytes())
        builder = (
            x509.CertificateBuilder()
            .subject_name(old.subject)
            .issuer_name(ca.subject)
            .public_key(old.public_key())
            # the same serial: the OCSP responder keeps answering "good" for
            # the certificate in documents signed before the move
            .serial_number(old.serial_number)
            .not_valid_before(old.not_valid_before_utc)
            .not_valid_after(old.not_valid_after_utc)
        )
        for extension in old.extensions:
            value = aia if isinstance(extension.value, x509.AuthorityInformationAccess) else None
            builder = builder.add_extension(value or extension.value, extension.critical)
        algorithm = old.signature_hash_algorithm
        assert algorithm is not None
        cert = builder.sign(ca_key, algorithm)  # type: ignore[arg-type]
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        _write_cert(scratch, cert)
        os.replace(scratch, path)
    scratch = directory / f".ocsp-url.{os.getpid()}"
    scratch.write_text(ocsp_url)
    os.replace(scratch, directory / "ocsp-url.txt")


def _card(card_id: str) -> tuple[SandboxCard, Path]:
    if not re.fullmatch(r"[a-z0-9]{1,20}", card_id or ""):
        raise CardError("unknown_card")
    folder = sandbox_dir() / "cards" / card_id
    try:
        data = json.loads((folder / "card.json").read_text())
    except (OSError, ValueError):
        raise CardError("unknown_card") from None
    return SandboxCard(**data), folder


def cards_list() -> list[dict[str, Any]]:
    """The virtual cards, for the reader's card chooser."""
    listed = []
    for card in sandbox_cards():
        try:
            _card(card.id)
        except CardError:
            continue
        listed.append(
            {
                "id": card.id,
                "name": f"{card.given_name} {card.surname}",
                "state": card.state,
                "tries_left": _tries_left(card.id),
            }
        )
    return listed


# --- PIN ------------------------------------------------------------------------


@contextmanager
def _pin_counters() -> Iterator[dict[str, int]]:
    """The wrong-PIN counters of every card, read and written under a lock
    shared by every process of this machine (the sandbox runs on one)."""
    directory = sandbox_dir()
    with open(directory / "pins.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = directory / "pins.json"
        try:
            counters = json.loads(path.read_text())
        except (OSError, ValueError):
            counters = {}
        try:
            yield counters
        finally:  # a wrong PIN is counted, then refused
            path.write_text(json.dumps(counters))


def _tries_left(card_id: str) -> int:
    with _pin_counters() as counters:
        return max(0, PIN_TRIES - int(counters.get(card_id, 0)))


def card_unblock(card_id: str) -> None:
    """What the municipality does with the PUK code: the PIN counter starts again."""
    _card(card_id)
    with _pin_counters() as counters:
        counters.pop(card_id, None)


def _pin_verify(card: SandboxCard, pin: str) -> None:
    """The card's PIN check: a wrong PIN counts, the right one resets the
    count, a blocked card refuses every PIN (one counter for both keys)."""
    with _pin_counters() as counters:
        wrong = int(counters.get(card.id, 0))
        if wrong >= PIN_TRIES:
            raise CardError("pin_blocked")
        if pin != PIN:
            counters[card.id] = wrong + 1
            if wrong + 1 >= PIN_TRIES:
                raise CardError("pin_blocked")
            raise CardError("pin_wrong", tries_left=PIN_TRIES - wrong - 1)
        counters.pop(card.id, None)


# --- Signing the challenge ---------------------------------------------------


def card_authenticate(*, card_id: str, pin: str, challenge: str, origin: str) -> dict[str, str]:
    """The Web eID authentication token the card would give: its
    authentication certificate and its signature over
    ``hash(origin) || hash(challenge)``. A wrong PIN counts, a blocked card
    refuses every PIN (:class:`CardError`)."""
    card, folder = _card(card_id)
    _pin_verify(card, pin)
    key = serialization.load_pem_private_key((folder / "auth.key.pem").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((folder / "auth.pem").read_bytes())
    hash_class: type[hashes.HashAlgorithm]
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm, hash_class = "RS256", hashes.SHA256
    else:
        algorithm, hash_class = "ES384", hashes.SHA384
    signed = b"".join(_digest(hash_class, value.encode("utf-8")) for value in (origin, challenge))
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(signed, padding.PKCS1v15(), hash_class())
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        r, s = utils.decode_dss_signature(key.sign(signed, ec.ECDSA(hash_class())))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")  # raw, as cards give it
    return {
        "unverifiedCertificate": base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)
        ).decode(),
        "algorithm": algorithm,
        "signature": base64.b64encode(signature).decode(),
        "format": TOKEN_FORMAT,
        "appVersion": APP_VERSION,
    }


# --- Signing a document's hash (Web eID's getSigningCertificate and sign) ----------

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}


def _signature_algorithm(key: Any, hash_function: str) -> dict[str, str]:
    if isinstance(key, rsa.RSAPrivateKey):
        return {"cryptoAlgorithm": "RSA", "hashFunction": hash_function, "paddingScheme": "PKCS1.5"}
    return {"cryptoAlgorithm": "ECC", "hashFunction": hash_function, "paddingScheme": "NONE"}


def card_signing_certificate(card_id: str) -> dict[str, Any]:
    """What Web eID's ``getSigningCertificate`` answers for this card: its
    signature certificate (base64 DER; no PIN needed, as with a real card)
    and the signature algorithms it supports."""
    _card_found, folder = _card(card_id)
    key = serialization.load_pem_private_key((folder / "sign.key.pem").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((folder / "sign.pem").read_bytes())
    return {
        "certificate": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
        "supportedSignatureAlgorithms": [_signature_algorithm(key, name) for name in _HASHES],
    }


def card_sign(
    *, card_id: str, pin: str, certificate: str, hash_value: str, hash_function: str
) -> dict[str, Any]:
    """What Web eID's ``sign`` answers: the card's signature over the hash
    (base64) with its signature key, once the PIN is right; a raw r||s
    value for an elliptic-curve card, as cards give it. Refuses a
    certificate that is not this card's signature certificate and a value
    that is not a hash of ``hash_function`` (:class:`CardError`)."""
    card, folder = _card(card_id)
    cert = x509.load_pem_x509_certificate((folder / "sign.pem").read_bytes())
    try:
        given = base64.b64decode(certificate, validate=True)
        digest = base64.b64decode(hash_value, validate=True)
    except ValueError:
        raise CardError("bad_hash") from None
    if given != cert.public_bytes(serialization.Encoding.DER):
        raise CardError("wrong_certificate")
    hash_class = _HASHES.get(hash_function)
    if hash_class is None or len(digest) != hash_class.digest_size:
        raise CardError("bad_hash")
    _pin_verify(card, pin)
    key = serialization.load_pem_private_key((folder / "sign.key.pem").read_bytes(), None)
    prehashed = utils.Prehashed(hash_class())
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(digest, padding.PKCS1v15(), prehashed)
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        r, s = utils.decode_dss_signature(key.sign(digest, ec.ECDSA(prehashed)))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return {
        "signature": base64.b64encode(signature).decode(),
        "signatureAlgorithm": _signature_algorithm(key, hash_function),
    }


def _digest(hash_class: type[hashes.HashAlgorithm], data: bytes) -> bytes:
    digest = hashes.Hash(hash_class())
    digest.update(data)
    return digest.finalize()


# --- OCSP -------------------------------------------------------------------------


def ocsp_respond(request_der: bytes, *, now: datetime | None = None) -> bytes:
    """The sandbox citizen CA's OCSP answer (signed by the CA itself, with
    the request's nonce echoed): good, revoked or unknown per card."""
    directory = sandbox_dir()
    ca = x509.load_pem_x509_certificate((directory / "citizen-ca.pem").read_bytes())
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    if request.issuer_name_hash != _hash(
        request.hash_algorithm, ca.subject.public_bytes()
    ) or request.issuer_key_hash != _hash(request.hash_algorithm, _key_bits(ca)):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    status, revoked_at = ocsp.OCSPCertStatus.UNKNOWN, None
    for folder in sorted((directory / "cards").iterdir()):
        card = SandboxCard(**json.loads((folder / "card.json").read_text()))
        for role in ("auth", "sign"):
            cert = x509.load_pem_x509_certificate((folder / f"{role}.pem").read_bytes())
            if cert.serial_number == request.serial_number:
                status = ocsp.OCSPCertStatus.GOOD
                if card.state == "revoked":
                    status, revoked_at = ocsp.OCSPCertStatus.REVOKED, _REVOKED_SINCE
    when = (now or datetime.now(tz=UTC)).replace(microsecond=0)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=when,
            next_update=when + timedelta(minutes=10),
            revocation_time=revoked_at,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, ca)
    )
    try:
        nonce = request.extensions.get_extension_for_class(x509.OCSPNonce)
    except x509.ExtensionNotFound:
        pass
    else:
        builder = builder.add_extension(nonce.value, critical=False)
    key = serialization.load_pem_private_key((directory / "citizen-ca.key.pem").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return builder.sign(key, hashes.SHA384()).public_bytes(serialization.Encoding.DER)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def _key_bits(certificate: x509.Certificate) -> bytes:
    from asn1crypto import keys

    info = keys.PublicKeyInfo.load(
        certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return bytes(info["public_key"].contents[1:])


def _hash(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()
