"""``paraph check --deploy``: what the settings name, tried for real. Every
configured key and certificate file is opened (a PKCS#12 file with its
password), and the time-stamp authority, the SMS gateway and the SMTP server
are reached with a short time-out. Each failure is one error naming the
setting and what went wrong (ADR 26)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error

TIMEOUT_SECONDS = 5


def _error(number: int, message: str, hint: str) -> Error:
    return Error(message, hint=hint, id=f"operations.E{number:03d}")


def _pkcs12_problem(path: str, password: str) -> str | None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    try:
        key, certificate, _chain = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError:
        return "is not a PKCS#12 file, or its password is wrong"
    if key is None or certificate is None:
        return "holds no key and certificate"
    return None


def _certificate_problem(path: str) -> str | None:
    from cryptography import x509

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    try:
        if b"-----BEGIN" in data:
            x509.load_pem_x509_certificates(data)
        else:
            x509.load_der_x509_certificate(data)
    except ValueError:
        return "holds no certificate (PEM or DER)"
    return None


def _token_problems() -> list[CheckMessage]:
    """Open the PKCS#11 token and, in it, the seal's and the signing CA's
    keys with their certificates, and sign a few bytes with each."""
    from paraph.signing.conf import SEAL_LABEL, SIGNING_CA_LABEL
    from paraph.signing.exceptions import KeyUnavailable, SigningConfigurationError
    from paraph.signing.providers.pkcs11 import Pkcs11Token

    hint = (
        "Check PARAPH_SIGNING_PKCS11_MODULE, _TOKEN and _PIN, and the keys' and "
        "certificates' labels (docs/operations.md, 'Keys in an HSM')."
    )
    try:
        token = Pkcs11Token.from_settings()
    except SigningConfigurationError as exc:
        return [_error(6, f"PARAPH_SIGNING_PKCS11_TOKEN: {exc}", hint)]
    errors: list[CheckMessage] = []
    for what, label in (("the seal", SEAL_LABEL), ("the signing CA", SIGNING_CA_LABEL)):
        try:
            token.key(label).sign(b"paraph check --deploy", "sha256")
        except (KeyUnavailable, SigningConfigurationError) as exc:
            errors.append(
                _error(
                    6,
                    f"PARAPH_SIGNING_PKCS11_TOKEN {settings.SIGNING_PKCS11_TOKEN!r}: "
                    f"{what} ({label!r}): {exc}",
                    hint,
                )
            )
    return errors


def key_files_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Open every key and certificate file the settings name, or, with
    keys in a PKCS#11 token, both keys in the token."""
    errors: list[CheckMessage] = []
    if settings.SIGNING_KEY_STORE == "pkcs11":
        errors.extend(_token_problems())
    if settings.SIGNING_KEY_STORE == "file":
        for name, path, password in (
            (
                "PARAPH_SIGNING_SEAL_PKCS12",
                settings.SIGNING_SEAL_PKCS12,
                settings.SIGNING_SEAL_PKCS12_PASSWORD,
            ),
            (
                "PARAPH_SIGNING_CA_PKCS12",
                settings.SIGNING_CA_PKCS12,
                settings.SIGNING_CA_PKCS12_PASSWORD,
            ),
        ):
            if path and (problem := _pkcs12_problem(path, password)):
                errors.append(
                    _error(
                        1,
                        f"{name}: {path} {problem}",
                        f"Check the file and {name}_PASSWORD (docs/operations.md, 'Keys').",
                    )
                )
    certificate_files: Iterable[tuple[str, list[str]]] = (
        ("PARAPH_SIGNING_TRUST_ROOTS", settings.SIGNING_TRUST_ROOTS),
        ("PARAPH_SIGNING_INTERMEDIATES", settings.SIGNING_INTERMEDIATES),
        ("PARAPH_EID_ROOTS", settings.EID_ROOTS),
        ("PARAPH_EID_CAS", settings.EID_CAS),
    )
    for name, paths in certificate_files:
        for path in paths:
            if problem := _certificate_problem(path):
                errors.append(
                    _error(2, f"{name}: {path} {problem}", "Give certificate files, PEM or DER.")
                )
    return errors


def _reach(url: str) -> str | None:
    """None when something answers HTTP at ``url`` (any status), else why not."""
    import httpx

    try:
        httpx.get(url, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return str(exc) or type(exc).__name__
    return None


def services_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Reach the time-stamp authority, the SMS gateway and the SMTP server."""
    errors: list[CheckMessage] = []
    tsa = settings.SIGNING_TSA_URL if settings.SIGNING_TSA == "http" else ""
    if tsa and (problem := _reach(tsa)):
        errors.append(
            _error(
                3,
                f"The time-stamp authority at {settings.SIGNING_TSA_URL} "
                f"(PARAPH_SIGNING_TSA_URL) does not answer: {problem}",
                "Without it no document can be signed.",
            )
        )
    sms = settings.SMS_HTTP_URL if settings.SMS_GATEWAY == "http" else ""
    if sms and (problem := _reach(sms)):
        errors.append(
            _error(
                4,
                f"The SMS gateway at {urlsplit(settings.SMS_HTTP_URL).netloc} "
                f"(PARAPH_SMS_HTTP_URL) does not answer: {problem}",
                "Without it no log-in or signing code reaches a phone.",
            )
        )
    smtp = settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    if smtp and (problem := _smtp_problem()):
        errors.append(
            _error(
                5,
                f"The SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} "
                f"(EMAIL_HOST, EMAIL_PORT) does not answer: {problem}",
                "Without it no e-mail leaves Paraph.",
            )
        )
    return errors


def _smtp_problem() -> str | None:
    kind = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
    try:
        with kind(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.EMAIL_USE_TLS:
                smtp.starttls()
            if settings.EMAIL_HOST_USER:
                smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:  # a time-out is an OSError
        return str(exc) or type(exc).__name__
    return None
