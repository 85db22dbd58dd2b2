"""The contact centre's opening hours (SU-2), computed in Europe/Brussels."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

BRUSSELS = ZoneInfo("Europe/Brussels")
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SPEC = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?\s+(\d\d):(\d\d)-(\d\d):(\d\d)$"
)


@dataclass(frozen=True)
class OpeningHours:
    days: frozenset[int]
    opens: dt.time
    closes: dt.time
    holidays: frozenset[dt.date]

    @classmethod
    def parse(cls, spec: str, holidays: list[str]) -> OpeningHours:
        match = _SPEC.match(spec.strip().lower())
        if not match:
            raise ImproperlyConfigured(
                f"PARAPH_CONTACT_HOURS must look like 'mon-fri 08:00-16:45', not {spec!r}"
            )
        first, last, oh, om, ch, cm = match.groups()
        start, end = _DAYS.index(first), _DAYS.index(last or first)
        days = (
            frozenset(range(start, end + 1))
            if start <= end
            else frozenset([*range(start, 7), *range(0, end + 1)])
        )
        try:
            dates = frozenset(dt.date.fromisoformat(d) for d in holidays)
        except ValueError as exc:
            raise ImproperlyConfigured(
                "PARAPH_CONTACT_HOLIDAYS takes dates like 2026-12-25"
            ) from exc
        return cls(days, dt.time(int(oh), int(om)), dt.time(int(ch), int(cm)), dates)

    def days_text(self) -> str:
        """The opening days in the active language: "Monday to Friday"."""
        names = [
            _("Monday"),
            _("Tuesday"),
            _("Wednesday"),
            _("Thursday"),
            _("Friday"),
            _("Saturday"),
            _("Sunday"),
        ]
        if len(self.days) == 7:
            return _("Every day")
        # The first day of the (possibly week-wrapping) run, e.g. "fri-mon".
        first = next(d for d in sorted(self.days) if (d - 1) % 7 not in self.days)
        last = (first + len(self.days) - 1) % 7
        if first == last:
            return names[first]
        return _("%(first)s to %(last)s") % {"first": names[first], "last": names[last]}

    def text(self) -> str:
        """The days and hours in one line, for e-mails and pages without the footer."""
        # A literal en dash: xgettext does not decode "\u" escapes, so the
        # catalogue would never match an escaped msgid.
        return _("%(days)s, %(opens)s–%(closes)s") % {  # noqa: RUF001
            "days": self.days_text(),
            "opens": self.opens.strftime("%H:%M"),
            "closes": self.closes.strftime("%H:%M"),
        }

    def _open_on(self, day: dt.date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def is_open(self, now: dt.datetime) -> bool:
        local = now.astimezone(BRUSSELS)
        return self._open_on(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, now: dt.datetime) -> dt.datetime:
        """The next moment the centre opens (Brussels time), after ``now``."""
        local = now.astimezone(BRUSSELS)
        day = local.date()
        for offset in range(0, 370):
            candidate = day + dt.timedelta(days=offset)
            if not self._open_on(candidate):
                continue
            opening = dt.datetime.combine(candidate, self.opens, tzinfo=BRUSSELS)
            if opening > local:
                return opening
        raise ImproperlyConfigured(
            "the contact centre never opens: check PARAPH_CONTACT_HOURS and holidays"
        )


def opening_hours() -> OpeningHours:
    return OpeningHours.parse(settings.CONTACT_HOURS, settings.CONTACT_HOLIDAYS)
