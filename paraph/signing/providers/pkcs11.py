"""Keys in a PKCS#11 token (an HSM in production; SoftHSM2 in tests and
for the sandbox's virtual eID card), through python-pkcs11. The private
key never leaves the token; the certificate is read from the token's
certificate object with the same label, the chain from the certificate
objects that belong to no key of the token (one token may hold Paraph's
seal and its signing CA)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pkcs11
from cryptography.hazmat.primitives.asymmetric import utils
from pkcs11 import Attribute, Mechanism, ObjectClass
from pkcs11.exceptions import PKCS11Error, UserAlreadyLoggedIn

from paraph.signing.exceptions import KeyUnavailable, SigningConfigurationError

_DIGEST_INFO = {  # DER DigestInfo prefixes (RFC 8017, section 9.2)
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_RSA = {
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}
_ECDSA = {
    "sha256": Mechanism.ECDSA_SHA256,
    "sha384": Mechanism.ECDSA_SHA384,
    "sha512": Mechanism.ECDSA_SHA512,
}


def _der_ecdsa(raw: bytes) -> bytes:
    half = len(raw) // 2
    return utils.encode_dss_signature(
        int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    )


@dataclass
class Pkcs11Key:
    """A private key in a token, with its certificate and chain (DER)."""

    certificate: bytes
    chain: tuple[bytes, ...]
    _key: Any = field(repr=False)
    _lock: threading.Lock = field(repr=False)

    def _is_rsa(self) -> bool:
        return bool(self._key.key_type == pkcs11.KeyType.RSA)

    def sign(self, data: bytes, digest_algorithm: str) -> bytes:
        """Hash and sign ``data`` in the token."""
        algorithm = digest_algorithm.lower()
        try:
            with self._lock:
                if self._is_rsa():
                    return bytes(self._key.sign(data, mechanism=_RSA[algorithm]))
                return _der_ecdsa(bytes(self._key.sign(data, mechanism=_ECDSA[algorithm])))
        except KeyError:
            raise KeyUnavailable(
                f"digest {digest_algorithm!r} is not accepted", code="digest_algorithm"
            ) from None
        except PKCS11Error as exc:
            raise KeyUnavailable(f"the token refused to sign: {exc!r}", code="token") from exc

    def sign_digest(self, digest: bytes, hash_function: str) -> bytes:
        """Sign a hash computed elsewhere, as the Belgian eID middleware does
        for Web eID: CKM_RSA_PKCS over the DigestInfo, or CKM_ECDSA (the
        result is raw r||s, as a browser hands it over)."""
        algorithm = hash_function.replace("-", "").lower()
        try:
            with self._lock:
                if self._is_rsa():
                    return bytes(
                        self._key.sign(
                            _DIGEST_INFO[algorithm] + digest, mechanism=Mechanism.RSA_PKCS
                        )
                    )
                return bytes(self._key.sign(digest, mechanism=Mechanism.ECDSA))
        except KeyError:
            raise KeyUnavailable(
                f"hash {hash_function!r} is not accepted", code="digest_algorithm"
            ) from None
        except PKCS11Error as exc:
            raise KeyUnavailable(f"the token refused to sign: {exc!r}", code="token") from exc


class Pkcs11Token:
    """One logged-in session on one token, shared by the process."""

    def __init__(self, *, module: str, token_label: str, pin: str) -> None:
        try:
            library = pkcs11.lib(module)
            token = library.get_token(token_label=token_label)
            try:
                self._session = token.open(user_pin=pin)
            except UserAlreadyLoggedIn:
                # PKCS#11 logs an application in per token, not per
                # session: another session of this process already did.
                self._session = token.open()
        except (PKCS11Error, RuntimeError, OSError) as exc:
            raise SigningConfigurationError(
                f"cannot open the PKCS#11 token {token_label!r} with {module}: {exc!r}"
            ) from exc
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> Pkcs11Token:
        from django.conf import settings

        return cls(
            module=settings.SIGNING_PKCS11_MODULE,
            token_label=settings.SIGNING_PKCS11_TOKEN,
            pin=settings.SIGNING_PKCS11_PIN,
        )

    def key(self, label: str) -> Pkcs11Key:
        try:
            with self._lock:
                private = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
                certs = list(self._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
                keys = {
                    k[Attribute.LABEL]
                    for k in self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
                }
                own = [bytes(c[Attribute.VALUE]) for c in certs if c[Attribute.LABEL] == label]
                # Another key's certificate (the seal's beside the signing
                # CA's) is not part of this key's chain.
                chain = tuple(
                    bytes(c[Attribute.VALUE]) for c in certs if c[Attribute.LABEL] not in keys
                )
        except PKCS11Error as exc:
            raise KeyUnavailable(
                f"no key labelled {label!r} in the token: {exc!r}", code="token"
            ) from exc
        if not own:
            raise SigningConfigurationError(f"the token has no certificate labelled {label!r}")
        return Pkcs11Key(certificate=own[0], chain=chain, _key=private, _lock=self._lock)
