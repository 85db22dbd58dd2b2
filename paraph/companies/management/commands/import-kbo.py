"""``paraph import-kbo DIR``: load the Crossroads Bank for Enterprises open
data (KBO/BCE), unzipped into DIR: a full export (meta.csv, code.csv,
enterprise.csv, establishment.csv, denomination.csv, address.csv) becomes
the company data lookups read; an update (``*_delete.csv`` and
``*_insert.csv``) changes only what changed. A refused file names the file
and the line, and leaves the data as it was. See docs/companies.md.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from paraph.companies.services import KboImportError, kbo_import


class Command(BaseCommand):
    help = "Import the KBO/BCE open data (a full export or an update) from an unzipped directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="the unzipped KboOpenData_..._Full or _Update folder")

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.monotonic()
        try:
            record = kbo_import(directory=options["directory"])
        except KboImportError as exc:
            raise CommandError(f"nothing imported: {exc}") from exc
        counts = ", ".join(f"{name} {count}" for name, count in record.counts.items())
        self.stdout.write(
            f"KBO {record.kind} extract {record.extract_number or '?'} "
            f"imported in {time.monotonic() - began:.1f} s: {counts}"
        )
