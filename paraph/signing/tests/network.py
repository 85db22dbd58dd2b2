"""Which outside calls (time-stamp, OCSP, CRL) were made while a database
transaction was open in the code that asked for them.

The signing engine runs pyHanko's coroutines in an event loop, and there
Django hands out another connection object: a transaction the calling code
holds open is invisible from inside the loop (``in_atomic_block`` is always
False there, so a check made at the outside call itself can never fail).
The state is therefore taken where the engine is entered, in the caller's
context, and reported with each outside call made during that entry."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection


def _replace_everywhere(original: Any, replacement: Any) -> int:
    """``original`` replaced by ``replacement`` in every loaded paraph module."""
    places = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("paraph") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                setattr(module, attr, replacement)
                places += 1
    return places


@pytest.fixture
def outside_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """From now on, ``(what, a transaction was open)`` for each request to
    the sandbox time-stamp authority (``"time-stamp"``) and each OCSP or CRL
    fetch (``"OCSP"``, ``"CRL"``)."""
    from paraph.signing import engine, fetching
    from paraph.signing.providers.tsa import SandboxTimestampAuthority

    state = threading.local()
    seen: list[tuple[str, bool]] = []

    def transaction_open() -> bool:
        if getattr(state, "depth", 0):
            return bool(state.open)
        return connection.in_atomic_block

    run = engine.runtime.run

    def observed_run(coro: Any) -> Any:
        depth = getattr(state, "depth", 0)
        if not depth:
            state.open = connection.in_atomic_block  # in the caller's context
        state.depth = depth + 1
        try:
            return run(coro)
        finally:
            state.depth = depth

    request = SandboxTimestampAuthority.request

    def observed_request(self: Any, der: bytes) -> bytes:
        seen.append(("time-stamp", transaction_open()))
        return request(self, der)

    monkeypatch.setattr(SandboxTimestampAuthority, "request", observed_request)
    for view, what in ((fetching._OcspView, "OCSP"), (fetching._CrlView, "CRL")):
        fetch = view.fetch

        async def observed_fetch(
            self: Any, *args: Any, _fetch: Any = fetch, _what: str = what
        ) -> Any:
            seen.append((_what, transaction_open()))
            return await _fetch(self, *args)

        monkeypatch.setattr(view, "fetch", observed_fetch)
    assert _replace_everywhere(run, observed_run), "the engine's entry point was not found"
    try:
        yield seen
    finally:
        _replace_everywhere(observed_run, run)
