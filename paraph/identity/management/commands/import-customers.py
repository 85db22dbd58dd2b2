"""``paraph import-customers FILE.csv``: load the customer file (RG-2).

The file is UTF-8 (a spreadsheet's byte-order mark is fine), separated by
commas or semicolons (read from the header line), with a header naming
these columns, in any order::

    customer_id, last_name, first_name, national_number, birth_date,
    street, house_number, box, postal_code, municipality, country,
    client_references

``customer_id`` (the file's own key) and ``last_name`` are required;
``birth_date`` is ``YYYY-MM-DD`` or ``DD/MM/YYYY``; ``country`` is the
ISO 3166 code of the address's country (``BE`` when the column is absent
or empty): a Belgian postcode has 4 digits, another country's is checked as
that country writes it, and ``municipality`` then holds the town; ``client_references``
holds one or more references as printed (``12/3456-789``) separated by
``|``. Running the same file twice changes nothing: a customer is found
by ``customer_id`` and updated, and gets exactly the references of its
row. Good rows are imported even when others are refused; each refused
row is reported with its line number and the reason, and the command
then ends with a non-zero status. One audit event records the import.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from paraph.core.belgium import national_number_normalize
from paraph.identity.matching import (
    foreign_postal_code_valid,
    postal_code_normalize,
    reference_normalize,
)
from paraph.identity.models import CustomerRecord
from paraph.identity.services import CustomerData, customer_record_upsert, customers_import_record

COLUMNS = (
    "customer_id",
    "last_name",
    "first_name",
    "national_number",
    "birth_date",
    "street",
    "house_number",
    "box",
    "postal_code",
    "municipality",
    "country",
    "client_references",
)
REQUIRED = ("customer_id", "last_name")
_MAX: dict[str, int | None] = {
    column: getattr(CustomerRecord._meta.get_field(field), "max_length", None)
    for column, field in (
        ("customer_id", "external_id"),
        ("last_name", "last_name"),
        ("first_name", "first_name"),
        ("street", "street"),
        ("house_number", "house_number"),
        ("box", "box"),
        ("municipality", "municipality"),
    )
}


class RowError(Exception):
    pass


def _birth_date(value: str) -> dt.date | None:
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise RowError(f"birth_date {value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def _national_number(value: str) -> str:
    if not value:
        return ""
    try:
        return national_number_normalize(value)
    except ValidationError as exc:
        raise RowError(f"national_number {value!r}: {' '.join(exc.messages)}") from exc


def _country(value: str) -> str:
    country = value.upper() or "BE"
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise RowError(f"country {value!r} is not an ISO 3166 code such as BE")
    return country


def _postal_code(value: str, country: str) -> str:
    if not value:
        return ""
    if country == "BE":
        postal_code = postal_code_normalize(value)
        if len(postal_code) != 4:
            raise RowError(f"postal_code {value!r} is not 4 digits")
        return postal_code
    postal_code = " ".join(value.upper().split())
    if not foreign_postal_code_valid(country, postal_code):
        raise RowError(f"postal_code {value!r} is not a postcode of {country}")
    return postal_code


def _references(value: str) -> tuple[str, ...]:
    references = tuple(ref.strip() for ref in value.split("|") if ref.strip())
    for reference in references:
        try:
            reference_normalize(reference)
        except ValueError as exc:
            raise RowError(f"client reference {reference!r}: {exc}") from exc
    if len({reference_normalize(ref) for ref in references}) != len(references):
        raise RowError("the same client reference is listed twice")
    return references


def row_parse(row: dict[str, str]) -> CustomerData:
    """One CSV row as a customer, or :class:`RowError` saying what is wrong."""
    values = {key: (row.get(key) or "").strip() for key in COLUMNS}
    for name in REQUIRED:
        if not values[name]:
            raise RowError(f"{name} is empty")
    for name, limit in _MAX.items():
        if limit and len(values[name]) > limit:
            raise RowError(f"{name} is longer than {limit} characters")
    national_number = _national_number(values["national_number"])
    country = _country(values["country"])
    postal_code = _postal_code(values["postal_code"], country)
    references = _references(values["client_references"])
    return CustomerData(
        external_id=values["customer_id"],
        last_name=values["last_name"],
        first_name=values["first_name"],
        national_number=national_number,
        birth_date=_birth_date(values["birth_date"]),
        street=values["street"],
        house_number=values["house_number"],
        box=values["box"],
        postal_code=postal_code,
        municipality=values["municipality"],
        country=country,
        references=references,
    )


def _rows(handle: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    header = handle.readline()
    if not header.strip():
        raise CommandError("the file is empty: it needs a header line")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names = [name.strip().lower() for name in next(csv.reader([header], delimiter=delimiter))]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise CommandError(f"the header lacks the column(s) {', '.join(missing)}")
    unknown = [name for name in names if name and name not in COLUMNS]
    if unknown:
        raise CommandError(
            f"unknown column(s) {', '.join(unknown)}; expected some of {', '.join(COLUMNS)}"
        )
    reader = csv.DictReader(handle, fieldnames=names, delimiter=delimiter, restkey="_extra")
    for row in reader:
        # The header is line 1; the reader counts from the line after it.
        yield reader.line_num + 1, row


class Command(BaseCommand):
    help = "Import or update the customer file from a CSV file (see the module's docstring)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file, or - for standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        # An operator's tool: its report is in English, like Django's own.
        with translation.override("en"):
            self._handle(options["file"])

    def _handle(self, source: str) -> None:
        if source == "-":
            counts, rejected = self._import(sys.stdin)
        else:
            path = Path(source)
            if not path.is_file():
                raise CommandError(f"{source}: no such file")
            with path.open(encoding="utf-8-sig", newline="") as handle:
                counts, rejected = self._import(handle)
        customers_import_record(counts=counts, rejected=rejected, source=str(source))
        for line in rejected:
            self.stderr.write(f"rejected {line}")
        self.stdout.write(
            f"created {counts['created']}, updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}, rejected {counts['rejected']}"
        )
        if rejected:
            raise CommandError(f"{len(rejected)} row(s) rejected; the other rows were imported")

    def _import(self, handle: TextIO) -> tuple[dict[str, int], list[str]]:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        rejected: list[str] = []
        seen: dict[str, int] = {}
        for line, row in _rows(handle):
            if not any((value or "").strip() for key, value in row.items() if key != "_extra"):
                continue  # a blank line
            try:
                if row.get("_extra"):
                    raise RowError("more values than columns in the header")
                data = row_parse(row)
                if data.external_id in seen:
                    raise RowError(
                        f"customer_id {data.external_id} already appears on line {seen[data.external_id]}"
                    )
                seen[data.external_id] = line
                try:
                    _record, outcome = customer_record_upsert(data=data)
                except ValueError as exc:
                    raise RowError(str(exc)) from exc
            except RowError as exc:
                counts["rejected"] += 1
                rejected.append(f"line {line}: {exc}")
                continue
            counts[outcome] += 1
        return counts, rejected
