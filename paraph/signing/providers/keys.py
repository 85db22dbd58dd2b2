"""Signing keys held in software: loaded once from a PKCS#12 file (Paraph's
seal, its signing CA, the sandbox TSA) or unlocked from a password-protected
person key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from paraph.signing.exceptions import KeyUnavailable, SigningConfigurationError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    try:
        return _HASHES[name.lower()]()
    except KeyError:
        raise KeyUnavailable(
            f"digest algorithm {name!r} is not accepted (sha256, sha384 or sha512)",
            code="digest_algorithm",
        ) from None


@dataclass(frozen=True)
class SoftwareKey:
    """A private key in memory. The key object is never printed."""

    certificate: bytes
    chain: tuple[bytes, ...]
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(repr=False)

    def sign(self, data: bytes, digest_algorithm: str) -> bytes:
        algorithm = hash_algorithm(digest_algorithm)
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return self.private_key.sign(data, padding.PKCS1v15(), algorithm)
        return self.private_key.sign(data, ec.ECDSA(algorithm))


def software_key_from_pkcs12(data: bytes, password: str | None, *, source: str) -> SoftwareKey:
    """The key, its certificate and the chain in a PKCS#12 bundle."""
    try:
        private_key, certificate, extra = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SigningConfigurationError(
            f"{source} is not a PKCS#12 file, or its password is wrong"
        ) from exc
    if certificate is None or private_key is None:
        raise SigningConfigurationError(f"{source} must hold one private key and its certificate")
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningConfigurationError(f"{source}: only RSA and EC keys can sign")
    return SoftwareKey(
        certificate=certificate.public_bytes(serialization.Encoding.DER),
        chain=tuple(c.public_bytes(serialization.Encoding.DER) for c in extra),
        private_key=private_key,
    )


def load_pkcs12_file(path: str | Path, password: str | None) -> SoftwareKey:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningConfigurationError(f"cannot read the PKCS#12 file {path}: {exc}") from exc
    return software_key_from_pkcs12(data, password, source=str(path))
