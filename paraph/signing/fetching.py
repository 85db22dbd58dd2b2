"""Revocation answers and issuer certificates fetched while signing, shared
for a short time between the documents one process signs.

Extending a signature to B-LT and B-LTA embeds the OCSP answers and CRLs of
its certificates and of the time-stamp authority's. Fetched anew for every
document, they cost more than the signature itself: a new HTTP session and
TLS context, the same CRL downloaded and parsed again. A batch of contracts
signed under one mandate needs the same answers every time, so they are
fetched once and kept for ``max_age`` seconds (a minute by default; CRLs
and OCSP answers are themselves valid for hours or days).

Each validation context still gets a *view* of its own: the answers it
asked for, and only those, are what pyHanko embeds in that document (never
another person's OCSP answer fetched for the previous contract). A failed
fetch is not kept: :func:`forget` drops everything after a failure.

Only signing uses this; validating someone else's PDF (``/verify/``) fetches
with a fresh context every time, as pyHanko does by default.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
import weakref
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms, crl, ocsp, x509
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.api import CRLFetcher, Fetchers, FetchLimits, OCSPFetcher
from pyhanko_certvalidator.util import issuer_serial

# Paraph signs with its own certificates and with eID cards already checked
# against the configured CAs, so the number of requests is not bounded by
# a hostile input; it grows with the number of different signers a minute.
_LIMITS = FetchLimits(max_requests=None, max_cert_requests=50)


@dataclass
class _Shared:
    backend: AIOHttpFetcherBackend
    fetchers: Fetchers
    since: float
    # what was concluded from the fetched answers (validation paths), by key
    found: dict[Hashable, Any] = field(default_factory=dict)


# One shared set per event loop: an aiohttp session belongs to its loop.
_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Shared] = weakref.WeakKeyDictionary()


class _OcspView(OCSPFetcher):
    """The shared OCSP fetcher, remembering what this context asked for."""

    def __init__(self, shared: OCSPFetcher) -> None:
        self._shared = shared
        self._mine: dict[Any, ocsp.OCSPResponse] = {}

    async def fetch(
        self, cert: x509.Certificate | cms.AttributeCertificateV2, authority: Authority
    ) -> ocsp.OCSPResponse:
        response = await self._shared.fetch(cert, authority)
        self._mine[(issuer_serial(cert), authority.hashable)] = response
        return response

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return list(self._mine.values())

    def fetched_responses_for_cert(
        self, cert: x509.Certificate | cms.AttributeCertificateV2
    ) -> Iterable[ocsp.OCSPResponse]:
        wanted = issuer_serial(cert)
        return [response for (subject, _), response in self._mine.items() if subject == wanted]


class _CrlView(CRLFetcher):
    """The shared CRL fetcher, remembering what this context asked for."""

    def __init__(self, shared: CRLFetcher) -> None:
        self._shared = shared
        self._mine: dict[bytes, list[crl.CertificateList]] = {}

    async def fetch(
        self, cert: x509.Certificate | cms.AttributeCertificateV2, *, use_deltas: bool = True
    ) -> Iterable[crl.CertificateList]:
        crls = list(await self._shared.fetch(cert, use_deltas=use_deltas))
        self._mine[issuer_serial(cert)] = crls
        return crls

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        unique: dict[bytes, crl.CertificateList] = {}
        for crls in self._mine.values():
            for one in crls:
                unique.setdefault(one.dump(), one)
        return list(unique.values())

    def fetched_crls_for_cert(
        self, cert: x509.Certificate | cms.AttributeCertificateV2
    ) -> Iterable[crl.CertificateList]:
        # KeyError when not fetched yet: pyHanko then calls fetch()
        return self._mine[issuer_serial(cert)]


async def fetchers(max_age: float) -> Fetchers:
    """Fetchers for one validation context: shared answers younger than
    ``max_age`` seconds (wall-clock: a clock moved by a test or by the
    operator starts afresh), seen through views of this context's own."""
    loop = asyncio.get_running_loop()
    now = time.time()
    current = _shared.get(loop)
    if current is not None and not current.since <= now < current.since + max_age:
        await forget()
        current = None
    if current is None:
        backend = AIOHttpFetcherBackend(limits=_LIMITS)
        current = _shared[loop] = _Shared(backend, backend.get_fetchers(), now)
    shared = current.fetchers
    return Fetchers(
        ocsp_fetcher=_OcspView(shared.ocsp_fetcher),
        crl_fetcher=_CrlView(shared.crl_fetcher),
        cert_fetcher=shared.cert_fetcher,
    )


def remembered(key: Hashable, max_age: float) -> Any | None:
    """What :func:`remember` kept under ``key`` in this event loop, while the
    answers it was concluded from are younger than ``max_age`` seconds."""
    current = _shared.get(asyncio.get_running_loop())
    if current is None or not current.since <= time.time() < current.since + max_age:
        return None
    return current.found.get(key)


def remember(key: Hashable, value: Any) -> None:
    """Keep ``value``, concluded from the answers fetched in this event loop,
    for as long as they are kept."""
    current = _shared.get(asyncio.get_running_loop())
    if current is not None:
        if len(current.found) >= 256:
            current.found.clear()
        current.found[key] = value


async def forget() -> None:
    """Drop what this event loop fetched and close its HTTP session."""
    current = _shared.pop(asyncio.get_running_loop(), None)
    if current is not None:
        await current.backend.close()


def forget_everywhere() -> None:
    """Drop what every idle event loop fetched (tests, process exit)."""
    for loop in list(_shared.keys()):
        if loop.is_closed():
            _shared.pop(loop, None)
        elif not loop.is_running():
            current = _shared.pop(loop, None)
            if current is not None:
                # in a thread of its own: this one may be running another
                # loop (Playwright's), and asyncio allows one per thread
                closing = threading.Thread(
                    target=loop.run_until_complete, args=(current.backend.close(),)
                )
                closing.start()
                closing.join()


atexit.register(forget_everywhere)
