"""People's password-protected signing keys (ES-7, ES-8): key pairs,
certificates from Paraph's signing CA, and encryption of the private key
under a key derived from the person's password.

The private key is a PKCS#8 DER blob encrypted with AES-256-GCM under a
256-bit key derived with argon2id (RFC 9106) from the password and a
random salt; the parameters travel with the ciphertext, so they can be
raised later without breaking existing keys. The GCM associated data binds
the ciphertext to its certificate, so a ciphertext moved to another row
does not decrypt. A wrong password fails the GCM tag check: nothing is ever
decrypted with it. See docs/adr/0007-password-protected-signing-keys.md.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from paraph.signing.exceptions import KeyUnavailable, SigningConfigurationError
from paraph.signing.providers import SigningKey
from paraph.signing.providers.keys import SoftwareKey

CIPHER = "AES-256-GCM"
KDF = "argon2id"


@dataclass(frozen=True)
class Argon2Parameters:
    """RFC 9106's second recommended option (64 MiB, 3 passes); 2 lanes
    suit Paraph's 2-core machines."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 2


def _derive(password: str, salt: bytes, params: Argon2Parameters) -> bytes:
    return hash_secret_raw(
        secret=password.encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _aad(certificate: bytes) -> bytes:
    return b"paraph.signing.person-key|" + hashlib.sha256(certificate).digest()


def encrypt_private_key(
    private_key: rsa.RSAPrivateKey,
    password: str,
    *,
    certificate: bytes,
    params: Argon2Parameters = Argon2Parameters(),
) -> tuple[bytes, dict[str, Any]]:
    """The ciphertext and the parameters to store with it."""
    salt, nonce = os.urandom(16), os.urandom(12)
    plaintext = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ciphertext = AESGCM(_derive(password, salt, params)).encrypt(
        nonce, plaintext, _aad(certificate)
    )
    kdf = {
        "kdf": KDF,
        **asdict(params),
        "salt": base64.b64encode(salt).decode(),
        "cipher": CIPHER,
        "nonce": base64.b64encode(nonce).decode(),
    }
    return ciphertext, kdf


def decrypt_private_key(
    ciphertext: bytes,
    kdf: dict[str, Any],
    password: str,
    *,
    certificate: bytes,
    chain: tuple[bytes, ...],
) -> SoftwareKey:
    """The usable key, or :class:`KeyUnavailable` (``wrong_password``)."""
    try:
        if kdf["kdf"] != KDF or kdf["cipher"] != CIPHER:
            raise KeyUnavailable(
                f"unknown key protection {kdf['kdf']}/{kdf['cipher']}", code="format"
            )
        params = Argon2Parameters(
            time_cost=int(kdf["time_cost"]),
            memory_cost_kib=int(kdf["memory_cost_kib"]),
            parallelism=int(kdf["parallelism"]),
        )
        salt = base64.b64decode(kdf["salt"])
        nonce = base64.b64decode(kdf["nonce"])
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyUnavailable("the stored key's parameters are damaged", code="format") from exc
    try:
        plaintext = AESGCM(_derive(password, salt, params)).decrypt(
            nonce, ciphertext, _aad(certificate)
        )
    except InvalidTag:
        raise KeyUnavailable("the password is wrong", code="wrong_password") from None
    private_key = serialization.load_der_private_key(plaintext, password=None)
    del plaintext
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise KeyUnavailable("the stored key is not an RSA key", code="format")
    return SoftwareKey(certificate=certificate, chain=chain, private_key=private_key)


def generate_key_pair() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ca_certificate(ca: SigningKey) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(ca.certificate)
    except ValueError as exc:
        raise SigningConfigurationError("the signing CA's certificate cannot be read") from exc


def _ca_public_key(ca_cert: x509.Certificate) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    public_key = ca_cert.public_key()
    if not isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise SigningConfigurationError("the signing CA's key must be RSA or EC")
    return public_key


@functools.cache
def _stand_in(kind: type) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """A throw-away key of the CA key's kind: cryptography's builders sign
    only with a key in memory, so they sign with this one first, and the
    TBS part, with the same algorithm identifier, is signed again by the
    CA's key (a PKCS#11 token's, which never leaves it)."""
    if kind is rsa.RSAPublicKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _sign_by_ca(ca: SigningKey, ca_cert: x509.Certificate, builder: Any, *, crl: bool) -> bytes:
    """The DER certificate or CRL ``builder`` describes, signed (SHA-256)
    by ``ca``: in memory directly, otherwise the TBSCertificate or
    TBSCertList is signed through :meth:`SigningKey.sign` and assembled."""
    if isinstance(ca, SoftwareKey):
        return bytes(
            builder.sign(ca.private_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        )
    from asn1crypto import crl as asn1_crl
    from asn1crypto import x509 as asn1_x509

    kind = (
        rsa.RSAPublicKey
        if isinstance(_ca_public_key(ca_cert), rsa.RSAPublicKey)
        else ec.EllipticCurvePublicKey
    )
    draft = builder.sign(_stand_in(kind), hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    if crl:
        listed = asn1_crl.CertificateList.load(draft)
        tbs_list = listed["tbs_cert_list"]
        return bytes(
            asn1_crl.CertificateList(
                {
                    "tbs_cert_list": tbs_list,
                    "signature_algorithm": listed["signature_algorithm"],
                    "signature": ca.sign(tbs_list.dump(), "sha256"),
                }
            ).dump()
        )
    certificate = asn1_x509.Certificate.load(draft)
    tbs = certificate["tbs_certificate"]
    return bytes(
        asn1_x509.Certificate(
            {
                "tbs_certificate": tbs,
                "signature_algorithm": certificate["signature_algorithm"],
                "signature_value": ca.sign(tbs.dump(), "sha256"),
            }
        ).dump()
    )


def issue_certificate(
    ca: SigningKey,
    public_key: rsa.RSAPublicKey,
    *,
    given_name: str,
    surname: str,
    national_number: str | None,
    not_before: datetime,
    not_after: datetime,
    crl_url: str | None = None,
) -> bytes:
    """A signing certificate from Paraph's signing CA for exactly the
    mandate's period. The subject carries the national register number in
    serialNumber, or, for a person without one, a pseudonym (OID 2.5.4.65)
    that identifies them only inside Paraph. ``crl_url`` (where Paraph
    publishes the CA's CRL) goes in the CRL distribution points, so any
    validator can learn that a retired key's certificate is revoked. ``ca``
    is a key in memory or in a PKCS#11 token."""
    ca_cert = _ca_certificate(ca)
    full_name = f"{given_name} {surname}".strip()
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
        x509.NameAttribute(NameOID.COMMON_NAME, full_name or "Paraph signer"),
    ]
    if surname:
        attributes.append(x509.NameAttribute(NameOID.SURNAME, surname))
    if given_name:
        attributes.append(x509.NameAttribute(NameOID.GIVEN_NAME, given_name))
    if national_number:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, national_number))
    else:
        attributes.append(x509.NameAttribute(NameOID.PSEUDONYM, f"PARAPH-{uuid.uuid4().hex}"))
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_ca_public_key(ca_cert)),
            critical=False,
        )
    )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return _sign_by_ca(ca, ca_cert, builder, crl=False)


def certificate_serial(certificate: bytes) -> int:
    return x509.load_der_x509_certificate(certificate).serial_number


@dataclass(frozen=True)
class Revoked:
    """One entry of the CRL: a certificate's serial number, when it was
    revoked, and why (an RFC 5280 reason as cryptography names it, e.g.
    ``superseded``, ``cessation_of_operation``)."""

    serial_number: int
    revoked_at: datetime
    reason: str


def build_crl(
    ca: SigningKey,
    *,
    number: int,
    revoked: list[Revoked],
    this_update: datetime,
    next_update: datetime,
) -> bytes:
    """A DER CRL (RFC 5280, v2, with CRL number and authority key
    identifier) of Paraph's signing CA listing ``revoked``, signed by its
    key in memory or in a PKCS#11 token."""
    ca_cert = _ca_certificate(ca)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_ca_public_key(ca_cert)),
            critical=False,
        )
    )
    for entry in revoked:
        revoked_builder = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial_number)
            .revocation_date(entry.revoked_at)
        )
        flag = x509.ReasonFlags.__members__.get(entry.reason, x509.ReasonFlags.unspecified)
        if flag != x509.ReasonFlags.unspecified:  # RFC 5280: omit rather than "unspecified"
            revoked_builder = revoked_builder.add_extension(x509.CRLReason(flag), critical=False)
        builder = builder.add_revoked_certificate(revoked_builder.build())
    return _sign_by_ca(ca, ca_cert, builder, crl=True)
