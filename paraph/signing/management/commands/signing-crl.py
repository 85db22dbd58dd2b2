"""``paraph signing-crl [--force]``: publish a new CRL of Paraph's signing
CA when the current one is a day old (or at once with ``--force``).

An operator runs it from cron at least daily (``15 * * * * paraph
signing-crl`` is fine: it does nothing until the CRL is due). The CRL stays
valid for a week, so a few missed runs do no harm; /pki/signing-ca.crl also
publishes a new one itself rather than serve one that is due.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from paraph.signing.services import signing_crl_refresh


class Command(BaseCommand):
    help = "Publish a new CRL of Paraph's signing CA when due (run it from cron, daily or more)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="publish a new CRL now")

    def handle(self, *args: Any, **options: Any) -> None:
        crl = signing_crl_refresh(force=options["force"])
        self.stdout.write(
            f"CRL {crl.number}: {crl.entries} revoked certificate(s), "
            f"next update {crl.next_update.isoformat()}"
        )
