"""Moments as Paraph writes them: for machines, ISO 8601 in UTC (the API,
webhooks, evidence JSON); for people, including staff in the back office,
Brussels time, with the zone (CET or CEST) where the wall-clock time alone
would be ambiguous."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats

BRUSSELS = ZoneInfo("Europe/Brussels")
# An ISO 8601 moment with its offset, as JSON data holds them.
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})"
)


def utc_iso(value: datetime | None) -> str | None:
    """``2026-12-04T13:00:00Z``: in UTC whatever zone ``value`` was made in
    (a contract just created keeps the sender's ``+01:00`` until it is read
    back from the database), as the API and webhooks write every moment."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def brussels(value: datetime) -> datetime:
    """``value`` (aware) in Brussels time."""
    return value.astimezone(BRUSSELS)


def brussels_ambiguous(value: datetime) -> bool:
    """Whether ``value``'s Brussels wall-clock time happens twice: the hour
    repeated when summer time ends (02:00 to 03:00 on the last Sunday of
    October is first CEST, then CET)."""
    local = brussels(value)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def moment_brussels(value: datetime, *, zone: bool = False) -> str:
    """A moment for a person: Brussels time in the active language's
    ``DATETIME_FORMAT``, followed by the zone (``CET``, ``CEST``) when
    ``zone`` is asked or the time is ambiguous."""
    local = brussels(value)
    shown = formats.date_format(local, "DATETIME_FORMAT")
    if zone or brussels_ambiguous(value):
        shown = f"{shown} {local.tzname()}"
    return shown


def moment_stamp(value: datetime) -> str:
    """A moment in a line of text for staff (an object's name in the back
    office, a reason in English): ``2026-07-01 11:17:23 CEST``, Brussels
    time with its zone, never UTC without saying so."""
    local = brussels(value)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"


def moments_in_brussels(data: Any) -> Any:
    """JSON data shown to staff with every ISO 8601 moment (with an offset)
    written as :func:`moment_stamp` does; anything else unchanged. What is
    stored is not changed."""
    if isinstance(data, dict):
        return {key: moments_in_brussels(value) for key, value in data.items()}
    if isinstance(data, list):
        return [moments_in_brussels(value) for value in data]
    if isinstance(data, str) and _ISO_MOMENT.fullmatch(data.strip()):
        try:
            moment = datetime.fromisoformat(data.strip().replace("Z", "+00:00"))
        except ValueError:
            return data
        if moment.tzinfo is not None:
            return moment_stamp(moment)
    return data
