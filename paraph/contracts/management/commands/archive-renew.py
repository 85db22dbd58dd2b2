"""``paraph archive-renew``: give every signed contract whose newest
document time-stamp's certificate ends within
``PARAPH_SIGNING_ARCHIVE_RENEW_BEFORE_DAYS`` (365 by default) a new
document time-stamp, so its signatures stay verifiable (archive renewal).

Safe to run as often as wanted; run it daily from cron
(``17 3 * * * paraph archive-renew``). Each renewal is an audit event
(``contracts.contract.archive_renewed``) and a step of the contract's
evidence. Exits 1 when a contract could not be renewed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from paraph.contracts.archive import contracts_archive_renew_due


class Command(BaseCommand):
    help = "Add a new document time-stamp to signed contracts that need one (run it daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--before-days",
            type=int,
            default=None,
            help="renew when the newest time-stamp's certificate ends within this many days "
            "(default: PARAPH_SIGNING_ARCHIVE_RENEW_BEFORE_DAYS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["before_days"]
        run = contracts_archive_renew_due(margin=timedelta(days=days) if days is not None else None)
        self.stdout.write(
            f"{run.renewed} contract(s) renewed, {run.not_due} read and not due, "
            f"{len(run.failed)} failed"
        )
        for public_id, reason in run.failed:
            self.stderr.write(f"contract {public_id}: {reason}")
        if run.failed:
            raise SystemExit(1)
