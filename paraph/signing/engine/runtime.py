"""Running pyHanko's coroutines from synchronous code: one event loop per
thread, kept for the thread's life (``run``), and the release of validation
contexts' fetchers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any

from pyhanko_certvalidator import ValidationContext

from paraph.signing import fetching
from paraph.signing.engine.options import T

# --- running pyHanko's async API from sync code -----------------------------


_runners = threading.local()


def _run_here(coro: Coroutine[Any, Any, T]) -> T:
    # One event loop per thread, kept: a new loop (and its executor) per
    # document costs more than signing the document does. Not asyncio.run /
    # asyncio.Runner: in the main thread they install a SIGINT handler whose
    # setup formats the task's repr, arguments included (the whole PDF).
    loop = getattr(_runners, "loop", None)
    if loop is None or loop.is_closed():
        loop = _runners.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coro)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when the caller is
    itself inside an event loop (an async view): then in a worker thread."""
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not in_loop:
        return _run_here(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run_once, coro).result()


def _run_once(coro: Coroutine[Any, Any, T]) -> T:
    # In a thread that ends afterwards: a loop of its own, closed with what
    # it fetched (an HTTP session left open would leak).
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(fetching.forget())
        loop.close()


async def release_contexts(*contexts: ValidationContext | None) -> None:
    for context in contexts:
        if context is not None:
            await context.aclose()
