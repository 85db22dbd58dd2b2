"""``paraph mandates-housekeeping``: expire the mandates whose year is over
(their signing keys retired) and send the reminders due 30 and 7 days
before a mandate ends, each once.

Safe to run as often as wanted; an operator runs it from cron, e.g. every
hour (``15 * * * * paraph mandates-housekeeping``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from paraph.mandates.services import mandates_housekeeping


class Command(BaseCommand):
    help = "Expire ended mandates and send the renewal reminders (run it from cron, hourly)."

    def handle(self, *args: Any, **options: Any) -> None:
        expired, reminded = mandates_housekeeping()
        self.stdout.write(f"expired {expired} mandate(s), sent {reminded} reminder(s)")
