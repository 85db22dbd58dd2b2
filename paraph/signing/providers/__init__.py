"""The outside systems the signing engine uses, each behind a small Protocol:
where signing keys live (a PKCS#12 file, a PKCS#11 token) and which
time-stamp authority answers (Paraph's sandbox TSA, an RFC 3161 server).

Nothing here imports pyHanko: providers deal in DER bytes, and
:mod:`paraph.signing.engine` adapts them.
"""

from __future__ import annotations

from typing import Protocol


class SigningKey(Protocol):
    """A private key with its certificate. ``sign`` returns the raw signature
    value: RSA PKCS#1 v1.5, or a DER-encoded ECDSA ``Ecdsa-Sig-Value``."""

    @property
    def certificate(self) -> bytes: ...

    @property
    def chain(self) -> tuple[bytes, ...]: ...

    def sign(self, data: bytes, digest_algorithm: str) -> bytes: ...


class TimestampAuthority(Protocol):
    """An RFC 3161 time-stamp authority: a DER ``TimeStampReq`` in, a DER
    ``TimeStampResp`` out. Raises
    :class:`~paraph.signing.exceptions.TimestampUnavailable` when it cannot
    answer."""

    @property
    def name(self) -> str: ...

    def request(self, query: bytes) -> bytes: ...
