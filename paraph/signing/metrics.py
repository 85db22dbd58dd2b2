"""How many signatures this process made, and how long each took, for
Prometheus (``/metrics``). Counted per process: with several processes,
``PROMETHEUS_MULTIPROC_DIR`` adds them up (docs/operations.md)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from prometheus_client import Counter, Histogram

P = ParamSpec("P")
T = TypeVar("T")

SIGNATURES = Counter(
    "paraph_signatures",
    "Signatures made by this process, by how (key: a key Paraph holds, the seal or "
    "a person's password key; card: an eID card) and outcome (ok, error)",
    ["method", "outcome"],
)
SIGNATURE_SECONDS = Histogram(
    "paraph_signature_duration_seconds",
    "Time to make one signature, time-stamp and validation data included",
    ["method"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)


Signing = Callable[P, Coroutine[Any, Any, T]]


def signature_observed(method: str) -> Callable[[Signing[P, T]], Signing[P, T]]:
    """Counts and times every call of the decorated signing coroutine."""

    def decorate(function: Signing[P, T]) -> Signing[P, T]:
        @functools.wraps(function)
        async def observed(*args: P.args, **kwargs: P.kwargs) -> T:
            started = time.perf_counter()
            outcome = "error"
            try:
                result = await function(*args, **kwargs)
                outcome = "ok"
                return result
            finally:
                SIGNATURES.labels(method=method, outcome=outcome).inc()
                if outcome == "ok":
                    SIGNATURE_SECONDS.labels(method=method).observe(time.perf_counter() - started)

        return observed

    return decorate
