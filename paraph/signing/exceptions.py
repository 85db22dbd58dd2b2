"""Paraph's signing errors.

Every failure of the signing engine reaches its callers as one of these,
never as a pyHanko, asn1crypto or ``KeyError`` exception: each carries a
``code`` (stable, for programs and tests) and a message a support agent can
read. The original document is never changed when one is raised.
"""

from __future__ import annotations

from datetime import datetime


class SigningError(Exception):
    """Base class; ``code`` names the precise reason."""

    code = "signing_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class DocumentRejected(SigningError):
    """The input cannot be signed or read: not a PDF, empty, truncated,
    damaged, encrypted or too large (``code`` says which)."""

    code = "document_rejected"


class TimestampUnavailable(SigningError):
    """The time-stamp authority did not answer, or answered with an error:
    no signature is produced without a time-stamp."""

    code = "timestamp_unavailable"


class CertificateRejected(SigningError):
    """A signing certificate failed a check: ``untrusted``, ``expired``,
    ``not_yet_valid``, ``revoked``, ``revocation_unknown``, ``key_usage``,
    ``policy`` (a policy the eID trust refuses), ``wrong_person`` or
    ``malformed``."""

    code = "certificate_rejected"


class SignatureValueMismatch(SigningError):
    """A signature value received from a card does not verify against the
    prepared digest and the card's certificate."""

    code = "signature_mismatch"


class PreparedSignatureUnavailable(SigningError):
    """A prepared (two-step) signature is unknown, expired, already used, or
    belongs to another person or document."""

    code = "prepared_unavailable"


class KeyUnavailable(SigningError):
    """A signing key cannot be used: wrong password, retired or expired key,
    password signing locked (``locked``, with ``locked_until``), misconfigured
    key store."""

    code = "key_unavailable"
    locked_until: datetime | None = None


class SigningConfigurationError(SigningError):
    """The signing settings are incomplete or point at unreadable files."""

    code = "configuration"
