"""Moments as Paraph writes them for machines: ISO 8601 in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(value: datetime | None) -> str | None:
    """``2026-12-04T13:00:00Z``: in UTC whatever zone ``value`` was made in
    (a contract just created keeps the sender's ``+01:00`` until it is read
    back from the database), as the API and webhooks write every moment."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
