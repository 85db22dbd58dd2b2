"""What the mandate's services share: reminders and limits, the refusal
(:class:`MandateError`), the year a mandate lasts, and its row lock."""

from __future__ import annotations

from datetime import datetime

from paraph.mandates.models import Mandate, MandateStatus

# Reminders before a mandate ends, in days (ES-8), most distant first.
REMINDER_DAYS = (30, 7)
# Starting a mandate writes a PDF: a person may start this many an hour.
STARTS_PER_HOUR = 20
# A batch signs at most this many contracts (each unlocks the key once).
BATCH_MAX = 25


class MandateError(Exception):
    """A refused request, with a message for the person; ``code`` is stable:
    ``state`` (not possible in the mandate's state), ``no_destination`` (no
    verified address or phone for that channel), ``rate_limited``,
    ``unavailable`` (Paraph's seal or time-stamp did not answer: try
    again), ``no_mandate`` (password signing needs an active mandate)."""

    code = "mandate_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


def one_year_after(moment: datetime) -> datetime:
    """The same moment a year later (28 February for a 29 February)."""
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


def mandate_locked(mandate: Mandate) -> Mandate:
    return Mandate.objects.select_for_update().get(pk=mandate.pk)


def mandate_refreshed(mandate: Mandate, locked: Mandate) -> Mandate:
    """Copy the locked row's values onto the caller's object."""
    for field in Mandate._meta.concrete_fields:
        setattr(mandate, field.attname, getattr(locked, field.attname))
    return mandate


def mandate_ended(mandate: Mandate, status: MandateStatus, now: datetime) -> None:
    mandate.status = status
    mandate.ended_at = now
    mandate.save(update_fields=["status", "ended_at"])
