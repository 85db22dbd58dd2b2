"""A signer from outside Paraph, for tests: a self-signed certificate that
no root Paraph trusts vouches for."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from paraph.signing.providers.keys import SoftwareKey


def outside_key(name: str, *, days: int = 30) -> SoftwareKey:
    """A fresh RSA key with a self-signed certificate for ``name``, valid
    from yesterday for ``days`` days."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(tz=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return SoftwareKey(
        certificate=cert.public_bytes(serialization.Encoding.DER), chain=(), private_key=key
    )
