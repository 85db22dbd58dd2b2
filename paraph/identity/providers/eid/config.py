"""How the Web eID validator is configured (:class:`WebEidConfig`: Paraph's
origin, the CAs whose cards may log in, the OCSP policy), the origin a
browser names, the CA certificates read from files, and whether one
certificate issued another."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from django.core.exceptions import ImproperlyConfigured

# --- Configuration and result -----------------------------------------------


def origin_from_url(url: str) -> str:
    """The Web origin of ``url`` as a browser writes it: ``scheme://host``
    plus the port unless it is the scheme's default, no trailing slash."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) address: {url!r}")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def certificates_load(paths: Iterable[str | Path]) -> tuple[x509.Certificate, ...]:
    """Every certificate in the given files (PEM, possibly several per file,
    or DER); a file that cannot be read is a configuration error."""
    found: list[x509.Certificate] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
            if b"-----BEGIN CERTIFICATE-----" in data:
                found.extend(x509.load_pem_x509_certificates(data))
            else:
                found.append(x509.load_der_x509_certificate(data))
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(f"cannot read the eID CA certificate {path}: {exc}") from exc
    return tuple(found)


@dataclass(frozen=True)
class WebEidConfig:
    """How tokens are validated.

    ``origin``: Paraph's origin (``https://paraph.example.be``).
    ``trusted_cas``: the CAs whose cards may log in (Belgium's citizen and
    foreigner CAs); an OCSP responder's certificate must be issued by one
    of them too, so the root that issues Belgium's responder certificate
    may be listed as well. ``ocsp_url``: ask this responder instead of the
    one named in the certificate (AIA). ``disallowed_policies``: certificate
    policy OIDs that are refused."""

    origin: str
    trusted_cas: tuple[x509.Certificate, ...]
    disallowed_policies: frozenset[str] = frozenset()
    ocsp: bool = True
    ocsp_url: str | None = None
    ocsp_timeout: float = 5.0
    ocsp_max_age: timedelta = timedelta(minutes=2)
    ocsp_time_skew: timedelta = timedelta(minutes=15)
    ocsp_nonce: bool = True

    def __post_init__(self) -> None:
        if origin_from_url(self.origin) != self.origin:
            raise ValueError(f"origin must be scheme://host[:port], not {self.origin!r}")
        if not self.trusted_cas:
            raise ValueError("at least one trusted CA certificate is needed")


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True
