"""The signing engine's configuration and providers, built from Django
settings once per process (and again when a test changes a setting)."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from paraph.identity.trust import eid_trust
from paraph.signing.engine import EngineConfig, Level, Trust
from paraph.signing.exceptions import SigningConfigurationError
from paraph.signing.providers import SigningKey, TimestampAuthority
from paraph.signing.providers.keys import load_pkcs12_file
from paraph.signing.providers.tsa import HttpTimestampAuthority, SandboxTimestampAuthority
from paraph.signing.sandbox import SandboxPki, sandbox_pki

if TYPE_CHECKING:  # python-pkcs11 is imported only when a token is used
    from paraph.signing.providers.pkcs11 import Pkcs11Token

# The labels of Paraph's keys (and of their certificates) in a PKCS#11 token.
SEAL_LABEL = "seal"
SIGNING_CA_LABEL = "signing-ca"


def _read_certificate(path: str) -> bytes:
    """DER bytes of a PEM or DER certificate file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SigningConfigurationError(f"cannot read the certificate file {path}: {exc}") from exc
    if b"-----BEGIN" in raw:
        from asn1crypto import pem

        _, _, raw = pem.unarmor(raw)
    return raw


def _sandbox() -> SandboxPki | None:
    """The generated sandbox PKI, in sandbox mode only."""
    if not settings.SANDBOX:
        return None
    return sandbox_pki(Path(settings.DATA_DIR))


def trust() -> Trust:
    """The configured trust, plus Paraph's own current CRL from the database:
    Paraph's validator knows at once that a retired key is revoked, and
    signing at B-LT embeds that CRL without fetching Paraph's own URL."""
    static = _static_trust()
    from paraph.signing.selectors import signing_crl_current

    crl = signing_crl_current()
    if crl is None:
        return static
    return dataclasses.replace(static, crls=(*static.crls, bytes(crl.der)))


def verify_trust() -> Trust:
    """The trust of the public verification (/verify/, ``paraph verify``):
    Paraph's own (:func:`trust`) and ``SIGNING_VERIFY_EXTRA_ROOTS`` (by
    default the Belgian eID roots), so that a document signed elsewhere,
    with an eID card, is recognised. Signing never uses the extra roots."""
    own = trust()
    extra = tuple(root for root in _verify_extra_roots() if root not in own.roots)
    return dataclasses.replace(own, roots=(*own.roots, *extra)) if extra else own


@functools.cache
def _verify_extra_roots() -> tuple[bytes, ...]:
    return tuple(_read_certificate(p) for p in settings.SIGNING_VERIFY_EXTRA_ROOTS)


@functools.cache
def _static_trust() -> Trust:
    """Paraph's own roots and CAs (``SIGNING_TRUST_ROOTS``,
    ``SIGNING_INTERMEDIATES``; the sandbox PKI's root without them) and the
    one eID trust's roots and CAs (:func:`paraph.identity.trust.eid_trust`,
    the sandbox's virtual cards' when no eID CA is configured)."""
    roots = list(settings.SIGNING_TRUST_ROOTS)
    sandbox = _sandbox()
    if sandbox is not None and not roots:
        roots.append(str(sandbox.root))
    eid = eid_trust()
    roots.extend(root for root in eid.roots if root not in roots)
    intermediates = [*settings.SIGNING_INTERMEDIATES]
    intermediates.extend(ca for ca in eid.cas if ca not in intermediates)
    return Trust(
        roots=tuple(_read_certificate(p) for p in roots),
        intermediates=tuple(_read_certificate(p) for p in intermediates),
        allow_fetching=settings.SIGNING_FETCH_REVOCATION,
    )


@functools.cache
def eid_cas() -> tuple[bytes, ...]:
    """The CAs that issue the eID cards accepted for signing: the one eID
    trust's, as for logging in."""
    return tuple(_read_certificate(p) for p in eid_trust().cas)


@functools.cache
def timestamp_authority() -> TimestampAuthority:
    kind = settings.SIGNING_TSA
    if kind == "http":
        return HttpTimestampAuthority(
            url=settings.SIGNING_TSA_URL, timeout=float(settings.SIGNING_TSA_TIMEOUT)
        )
    if kind == "sandbox":
        if not settings.SIGNING_SANDBOX_TSA_PKCS12:
            sandbox = _sandbox()
            if sandbox is None:
                raise SigningConfigurationError(
                    "PARAPH_SIGNING_SANDBOX_TSA_PKCS12 is not set: the sandbox TSA has no key"
                )
            return SandboxTimestampAuthority(key=load_pkcs12_file(sandbox.tsa, sandbox.password))
        return SandboxTimestampAuthority(
            key=load_pkcs12_file(
                settings.SIGNING_SANDBOX_TSA_PKCS12, settings.SIGNING_SANDBOX_TSA_PKCS12_PASSWORD
            )
        )
    raise SigningConfigurationError(f"PARAPH_SIGNING_TSA must be sandbox or http, not {kind!r}")


@functools.cache
def _token() -> Pkcs11Token:
    """The PKCS#11 token holding Paraph's keys, opened once per process."""
    from paraph.signing.providers.pkcs11 import Pkcs11Token

    return Pkcs11Token.from_settings()


@functools.cache
def seal_key() -> SigningKey:
    """Paraph's seal: a PKCS#12 file, or a key in a PKCS#11 token."""
    if settings.SIGNING_KEY_STORE == "file":
        if not settings.SIGNING_SEAL_PKCS12:
            sandbox = _sandbox()
            if sandbox is None:
                raise SigningConfigurationError("PARAPH_SIGNING_SEAL_PKCS12 is not set")
            return load_pkcs12_file(sandbox.seal, sandbox.password)
        return load_pkcs12_file(settings.SIGNING_SEAL_PKCS12, settings.SIGNING_SEAL_PKCS12_PASSWORD)
    if settings.SIGNING_KEY_STORE == "pkcs11":
        return _token().key(SEAL_LABEL)
    raise SigningConfigurationError(
        f"PARAPH_SIGNING_KEY_STORE must be file or pkcs11, not {settings.SIGNING_KEY_STORE!r}"
    )


@functools.cache
def signing_ca_key() -> SigningKey:
    """Paraph's signing CA, which certifies people's password keys and signs
    Paraph's CRL: a PKCS#12 file, or, with ``SIGNING_KEY_STORE=pkcs11``, the
    key labelled ``signing-ca`` in the same token as the seal (its
    certificate beside it, under the same label)."""
    if settings.SIGNING_KEY_STORE == "pkcs11":
        return _token().key(SIGNING_CA_LABEL)
    if not settings.SIGNING_CA_PKCS12:
        sandbox = _sandbox()
        if sandbox is None:
            raise SigningConfigurationError("PARAPH_SIGNING_CA_PKCS12 is not set")
        return load_pkcs12_file(sandbox.signing_ca, sandbox.password)
    return load_pkcs12_file(settings.SIGNING_CA_PKCS12, settings.SIGNING_CA_PKCS12_PASSWORD)


def engine_config() -> EngineConfig:
    return dataclasses.replace(_static_engine_config(), trust=trust())


@functools.cache
def _static_engine_config() -> EngineConfig:
    try:
        level = Level(settings.SIGNING_LEVEL)
    except ValueError:
        raise SigningConfigurationError(
            f"PARAPH_SIGNING_LEVEL must be B-T, B-LT or B-LTA, not {settings.SIGNING_LEVEL!r}"
        ) from None
    return EngineConfig(
        trust=_static_trust(),
        timestamp_authority=timestamp_authority(),
        level=level,
        max_bytes=settings.SIGNING_MAX_PDF_BYTES,
        fetched_max_age=settings.SIGNING_FETCHED_MAX_AGE_SECONDS,
    )


def reset() -> None:
    for cached in (
        _token,
        _static_trust,
        _verify_extra_roots,
        eid_cas,
        timestamp_authority,
        seal_key,
        signing_ca_key,
        _static_engine_config,
    ):
        cached.cache_clear()


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith(("SIGNING_", "EID_")) or setting in ("SANDBOX", "DATA_DIR"):
        reset()
