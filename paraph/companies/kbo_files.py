"""Reading the KBO open-data CSV files: their columns, and each row checked
and converted to what the tables store, one row at a time (the files are
streamed, never loaded whole).

The format is the FPS Economy's "Cookbook KBO Open data": UTF-8, commas,
text between double quotes, dates ``dd-mm-yyyy``, numbers printed
``0200.065.765`` (enterprise) or ``2.000.000.339`` (establishment).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paraph.core.belgium import enterprise_number_is_valid


class KboImportError(Exception):
    """An import refused: the message names the file and the line, or says
    why the directory cannot be imported now."""


class _RowError(Exception):
    pass


Converter = Callable[[str], Any]


def _text(column: str, max_length: int, *, required: bool = False) -> Converter:
    def convert(value: str) -> str:
        if len(value) > max_length:
            raise _RowError(f"{column} is longer than {max_length} characters")
        if required and not value:
            raise _RowError(f"{column} is empty")
        return value

    return convert


def _number(value: str, column: str, first_digits: str) -> str:
    digits = value.replace(".", "")
    if len(digits) == 9 and first_digits == "01":
        digits = "0" + digits  # the old nine-digit form
    if digits[:1] in first_digits and enterprise_number_is_valid(digits):
        return digits
    kind = "an enterprise number" if first_digits == "01" else "an establishment number"
    raise _RowError(f"{column} {value!r} is not {kind} (check the last two digits)")


def _cached(check: Converter) -> Converter:
    """``check``, skipped when the value is the previous row's (an entity's
    names follow each other, so do an enterprise's establishments)."""
    last = ("", "")

    def convert(value: str) -> str:
        nonlocal last
        if value != last[0]:
            last = (value, check(value))  # one assignment: safe between threads
        return last[1]

    return convert


def _enterprise_number(column: str) -> Converter:
    return _cached(lambda value: _number(value, column, "01"))


def _establishment_number(column: str) -> Converter:
    return _cached(lambda value: _number(value, column, "2345678"))


def _entity_number(column: str) -> Converter:
    """An enterprise, establishment or branch number; a branch's (starting
    with 9) is no official number and has no check digits."""

    def check(value: str) -> str:
        if value[:1] == "9":
            digits = value.replace(".", "")
            if len(digits) == 10 and digits.isascii() and digits.isdigit():
                return digits
            raise _RowError(f"{column} {value!r} is not a branch number")
        return _number(value, column, "01" if value[:1] in "01" else "2345678")

    return _cached(check)


def _date(column: str, *, required: bool = False) -> Converter:
    def convert(value: str) -> dt.date | None:
        if not value:
            if required:
                raise _RowError(f"{column} is empty")
            return None
        try:
            if len(value) != 10 or value[2] != "-" or value[5] != "-":
                raise ValueError
            return dt.date(int(value[6:10]), int(value[3:5]), int(value[0:2]))
        except ValueError:
            raise _RowError(f"{column} {value!r} is not a date (dd-mm-yyyy)") from None

    return convert


@dataclass(frozen=True)
class Table:
    """One file of the export and the table it fills: ``fields`` pairs each
    CSV column with its table column and converter; ``key`` is the column
    naming the entity (what an update's ``_delete`` file lists)."""

    file: str
    key: str
    fields: tuple[tuple[str, str, Converter], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(column for column, _field, _convert in self.fields)

    @property
    def db_key(self) -> str:
        return next(field for column, field, _convert in self.fields if column == self.key)


CODE = Table(
    "code",
    "Category",
    (
        ("Category", "category", _text("Category", 40, required=True)),
        ("Code", "code", _text("Code", 10, required=True)),
        ("Language", "language", _text("Language", 2, required=True)),
        ("Description", "description", _text("Description", 500)),
    ),
)
ENTERPRISE = Table(
    "enterprise",
    "EnterpriseNumber",
    (
        ("EnterpriseNumber", "number", _enterprise_number("EnterpriseNumber")),
        ("Status", "status", _text("Status", 2, required=True)),
        ("JuridicalSituation", "juridical_situation", _text("JuridicalSituation", 3)),
        ("TypeOfEnterprise", "type_of_enterprise", _text("TypeOfEnterprise", 1)),
        ("JuridicalForm", "juridical_form", _text("JuridicalForm", 3)),
        ("JuridicalFormCAC", "juridical_form_cac", _text("JuridicalFormCAC", 3)),
        ("StartDate", "start_date", _date("StartDate")),
    ),
)
ESTABLISHMENT = Table(
    "establishment",
    "EstablishmentNumber",
    (
        ("EstablishmentNumber", "number", _establishment_number("EstablishmentNumber")),
        ("StartDate", "start_date", _date("StartDate")),
        ("EnterpriseNumber", "enterprise_number", _enterprise_number("EnterpriseNumber")),
    ),
)
DENOMINATION = Table(
    "denomination",
    "EntityNumber",
    (
        ("EntityNumber", "entity_number", _entity_number("EntityNumber")),
        ("Language", "language", _text("Language", 1, required=True)),
        ("TypeOfDenomination", "kind", _text("TypeOfDenomination", 3, required=True)),
        ("Denomination", "name", _text("Denomination", 320, required=True)),
    ),
)
ADDRESS = Table(
    "address",
    "EntityNumber",
    (
        ("EntityNumber", "entity_number", _entity_number("EntityNumber")),
        ("TypeOfAddress", "kind", _text("TypeOfAddress", 4, required=True)),
        ("CountryNL", "country_nl", _text("CountryNL", 100)),
        ("CountryFR", "country_fr", _text("CountryFR", 100)),
        ("Zipcode", "zipcode", _text("Zipcode", 20)),
        ("MunicipalityNL", "municipality_nl", _text("MunicipalityNL", 200)),
        ("MunicipalityFR", "municipality_fr", _text("MunicipalityFR", 200)),
        ("StreetNL", "street_nl", _text("StreetNL", 200)),
        ("StreetFR", "street_fr", _text("StreetFR", 200)),
        ("HouseNumber", "house_number", _text("HouseNumber", 22)),
        ("Box", "box", _text("Box", 20)),
        ("ExtraAddressInfo", "extra", _text("ExtraAddressInfo", 80)),
        ("DateStrikingOff", "date_striking_off", _date("DateStrikingOff")),
    ),
)
# The order a full export is loaded in; an update applies the same files.
TABLES = (CODE, ENTERPRISE, ESTABLISHMENT, DENOMINATION, ADDRESS)
ENTITY_TABLES = (ENTERPRISE, ESTABLISHMENT, DENOMINATION, ADDRESS)


def _open(path: Path) -> Generator[tuple[int, list[str]], None, None]:
    """The rows of a CSV file with their line numbers (the header is line 1)."""
    if not path.is_file():
        raise KboImportError(f"{path.name}: the file is missing from {path.parent}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise KboImportError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise KboImportError(f"{path.name}: not a CSV file ({exc})") from None


def _header(
    path: Path, rows: Iterator[tuple[int, list[str]]], wanted: tuple[str, ...]
) -> list[int]:
    """The position of each wanted column, or :class:`KboImportError` naming
    the columns the header lacks."""
    try:
        _line, header = next(rows)
    except StopIteration:
        raise KboImportError(f"{path.name}: the file is empty (no header line)") from None
    names = [name.strip() for name in header]
    missing = [column for column in wanted if column not in names]
    if missing:
        raise KboImportError(
            f"{path.name}, line 1: the header lacks {', '.join(missing)} "
            f"(expected {','.join(wanted)}; found {','.join(names)})"
        )
    return [names.index(column) for column in wanted]


def check_header(path: Path, table: Table, *, keys_only: bool = False) -> None:
    """Refuse a missing file or a wrong header before anything is written;
    ``keys_only`` for an update's ``_delete`` file."""
    rows = _open(path)
    try:
        if keys_only:
            _key_position(path, rows, table)
        else:
            _header(path, rows, table.columns)
    finally:
        rows.close()


def _key_position(path: Path, rows: Iterator[tuple[int, list[str]]], table: Table) -> int:
    try:
        _line, header = next(rows)
    except StopIteration:
        raise KboImportError(f"{path.name}: the file is empty (no header line)") from None
    names = [name.strip() for name in header]
    column = next((name for name in (table.key, "EntityNumber") if name in names), None)
    if column is None:
        raise KboImportError(
            f"{path.name}, line 1: the header lacks {table.key} (found {','.join(names)})"
        )
    return names.index(column)


class RowReader:
    """The rows of one file as the table's values (in ``table.fields``
    order, then ``extra``), read as they are iterated; :class:`KboImportError`
    names the file and line of the first bad row. ``line`` is the line of
    the last row read (the header is line 1)."""

    def __init__(self, path: Path, table: Table, *, extra: tuple[Any, ...] = ()) -> None:
        self.path = path
        self.table = table
        self.extra = extra
        self.line = 0

    def __iter__(self) -> Iterator[list[Any]]:
        rows = _open(self.path)
        try:
            positions = _header(self.path, rows, self.table.columns)
        finally:
            rows.close()
        plan = [
            (position, convert)
            for position, (_c, _f, convert) in zip(positions, self.table.fields, strict=True)
        ]
        extra = list(self.extra)
        name = self.path.name
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                next(reader)  # the header, checked above
                for row in reader:
                    try:
                        values = [convert(row[position]) for position, convert in plan]
                    except _RowError as exc:
                        raise KboImportError(f"{name}, line {reader.line_num}: {exc}") from None
                    except IndexError:
                        if not row:
                            continue  # a blank line
                        raise KboImportError(
                            f"{name}, line {reader.line_num}: {len(row)} values, "
                            f"the header has {max(positions) + 1} columns"
                        ) from None
                    values += extra
                    self.line = reader.line_num
                    yield values
        except UnicodeDecodeError as exc:
            raise KboImportError(f"{name}: not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:
            raise KboImportError(f"{name}: not a CSV file ({exc})") from None


def read_keys(path: Path, table: Table) -> Iterator[tuple[int, str]]:
    """The entity numbers an update's ``<file>_delete.csv`` lists."""
    rows = _open(path)
    position = _key_position(path, rows, table)
    convert = dict((c, conv) for c, _f, conv in table.fields)[table.key]
    for line, row in rows:
        if not row:
            continue
        try:
            yield line, convert(row[position] if position < len(row) else "")
        except _RowError as exc:
            raise KboImportError(f"{path.name}, line {line}: {exc}") from None


@dataclass(frozen=True)
class Meta:
    """meta.csv: which extract this is."""

    extract_type: str  # "full" or "update"
    extract_number: int | None
    snapshot_date: dt.date | None
    extract_timestamp: str
    version: str


def read_meta(directory: Path) -> Meta:
    path = directory / "meta.csv"
    rows = _open(path)
    _header(path, rows, ("Variable", "Value"))
    values: dict[str, str] = {}
    for _line, row in rows:
        if len(row) >= 2:
            values[row[0].strip()] = row[1].strip()
    kind = values.get("ExtractType", "").lower()
    if kind not in ("full", "update"):
        raise KboImportError(
            f"meta.csv: ExtractType is {values.get('ExtractType', '')!r}, not full or update"
        )
    number = values.get("ExtractNumber", "")
    if number and not number.isdigit():
        raise KboImportError(f"meta.csv: ExtractNumber {number!r} is not a number")
    try:
        snapshot = _date("SnapshotDate")(values.get("SnapshotDate", ""))
    except _RowError as exc:
        raise KboImportError(f"meta.csv: {exc}") from None
    return Meta(
        extract_type=kind,
        extract_number=int(number) if number else None,
        snapshot_date=snapshot,
        extract_timestamp=values.get("ExtractTimestamp", "")[:40],
        version=values.get("Version", "")[:20],
    )
