"""The signature of a webhook payload: HMAC-SHA256, keyed with the sender's
webhook secret, over ``<timestamp>.<body>``; sent as the header
``Paraph-Signature: t=<unix seconds>,v1=<hex>``.

The time stamp is part of what is signed, so a receiver that refuses
signatures older than a few minutes cannot be fed a captured request
again (docs/webhooks.md shows the receiver's side). This module is the
reference implementation that the receiver snippet in the docs mirrors.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Paraph-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the ``Paraph-Signature`` header for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``header`` is a valid signature of ``body`` made less than
    ``tolerance_seconds`` ago. Several ``v1`` values may be present (while a
    secret is being rotated); one matching is enough."""
    try:
        parts = [p.split("=", 1) for p in header.split(",")]
        timestamp = int(next(v for k, v in parts if k.strip() == "t"))
        candidates = [v.strip() for k, v in parts if k.strip() == "v1"]
    except (ValueError, StopIteration):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, c) for c in candidates)
