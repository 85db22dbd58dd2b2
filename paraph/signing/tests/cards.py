"""A card, simulated: the test PKI's card keys sign a hash outside pyHanko,
as a Belgian eID card does behind Web eID."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}


def card_sign(
    private_key: Any, digest: bytes, hash_function: str, *, raw_ecdsa: bool = False
) -> bytes:
    """RSA PKCS#1 v1.5 over a pre-computed hash (applet 1.7), or ECDSA
    (applet 1.8): DER, or raw r||s as Web eID may hand it over."""
    prehashed = utils.Prehashed(_HASHES[hash_function]())
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(digest, padding.PKCS1v15(), prehashed)
    der = private_key.sign(digest, ec.ECDSA(prehashed))
    if not raw_ecdsa:
        return der
    r, s = utils.decode_dss_signature(der)
    size = (private_key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
