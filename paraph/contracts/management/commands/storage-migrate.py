"""``paraph storage-migrate --to s3|filesystem``: copy every stored document
(contracts' originals, documents to sign and signed PDFs, bulk sends' PDFs
not processed yet, mandates' PDFs) from the other document storage to this one, each
checked against its SHA-256 before and after the copy.

Run it with both storages configured (``PARAPH_MEDIA_ROOT`` and the
``PARAPH_S3_*`` variables), whichever ``PARAPH_STORAGE`` is in use; then
switch ``PARAPH_STORAGE``. A document already in the target with the right
hash is skipped, so an interrupted run is simply run again. Nothing is
deleted from the source. Exits 1 when a document could not be copied
(missing or altered in the source: the log names it).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from paraph.contracts.documents import documents_migrate


class Command(BaseCommand):
    help = "Copy stored documents to the other document storage (s3 or filesystem), checked."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            required=True,
            choices=["s3", "filesystem"],
            help="the storage to copy to; the other one is read",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 1

        def report(name: str, outcome: str) -> None:
            if verbose or outcome == "failed":
                self.stdout.write(f"{outcome}: {name}")

        run = documents_migrate(to=options["to"], report=report)
        self.stdout.write(
            f"{run.copied} copied, {run.present} already there, {len(run.failed)} failed"
        )
        for name, reason in run.failed:
            self.stderr.write(f"{name}: {reason}")
        if run.failed:
            raise SystemExit(1)
