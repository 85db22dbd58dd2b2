"""``paraph contracts-expire``: archive as "not signed" every contract whose
signing deadline passed, and tell its sender.

Safe to run as often as wanted; run it from cron every few minutes
(``*/5 * * * * paraph contracts-expire``). A contract past its deadline
can never be signed even before this runs: the signing service checks.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from paraph.contracts.services import contracts_expire_due


class Command(BaseCommand):
    help = "Archive contracts whose signing deadline passed (run it from cron, every few minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while True:
            done = contracts_expire_due()
            total += done
            if done == 0:
                break
        self.stdout.write(f"{total} contract(s) archived as not signed")
