"""``paraph signing-purge``: delete expired prepared eID signatures.

Safe to run as often as wanted; an operator runs it from cron, e.g. every
hour (``0 * * * * paraph signing-purge``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from paraph.signing.services import prepared_eid_signatures_purge


class Command(BaseCommand):
    help = "Delete prepared eID signatures whose time is over (run it from cron, hourly)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = prepared_eid_signatures_purge()
        self.stdout.write(f"deleted {deleted} expired prepared eID signature(s)")
