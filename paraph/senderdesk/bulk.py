"""Reading a bulk upload: a CSV of recipients and a zip of their PDFs,
into the entries of a bulk send. The file as a whole is refused here
(not a CSV, a missing column, a damaged zip, too many rows); a single
row's problems are reported for that row when the batch is processed."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from paraph.contracts.services import BulkEntry

REQUIRED_COLUMNS = ("first_name", "last_name", "email", "phone", "start_of_work", "pdf")
OPTIONAL_COLUMNS = (
    "title",
    "national_number",
    "language",
    "external_reference",
    "signing_deadline",
    "signature_page",
    # Filled: the row's contract goes to this company (ADR 35); names,
    # phone and national number stay empty.
    "enterprise_number",
)
CSV_MAX_BYTES = 5 * 1024 * 1024


def _read_csv(handle: IO[bytes]) -> list[dict[str, str]]:
    raw = handle.read(CSV_MAX_BYTES + 1)
    if len(raw) > CSV_MAX_BYTES:
        raise ValidationError(
            {"csv_file": gettext("The CSV file is larger than 5 MB.")}, code="too_large"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            {"csv_file": gettext("Save the CSV file in UTF-8.")}, code="encoding"
        ) from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = {(c or "").strip().lower() for c in (reader.fieldnames or [])}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValidationError(
            {"csv_file": gettext("These columns are missing: %s.") % ", ".join(missing)},
            code="columns",
        )
    rows = []
    for row in reader:
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if any(clean.values()):
            rows.append(clean)
    if not rows:
        raise ValidationError({"csv_file": gettext("The CSV file has no contract.")}, code="empty")
    if len(rows) > settings.CONTRACT_BULK_MAX:
        raise ValidationError(
            {
                "csv_file": gettext("At most %(max)d contracts per bulk send.")
                % {"max": settings.CONTRACT_BULK_MAX}
            },
            code="too_many",
        )
    return rows


def _row_data(row: dict[str, str], default_title: str) -> dict[str, Any]:
    if row.get("enterprise_number") and not any(
        row.get(name) for name in ("first_name", "last_name", "phone", "national_number")
    ):
        company: dict[str, Any] = {
            "enterprise_number": row["enterprise_number"],
            "email": row.get("email", ""),
        }
        if row.get("language"):
            company["language"] = row["language"].lower()
        data: dict[str, Any] = {
            "title": row.get("title") or default_title,
            "company": company,
            "external_reference": row.get("external_reference", ""),
            "start_of_work": row.get("start_of_work", ""),
        }
        return _row_options(row, data)
    data = {
        "title": row.get("title") or default_title,
        "recipient": {
            "first_name": row.get("first_name", ""),
            "last_name": row.get("last_name", ""),
            "email": row.get("email", ""),
            "phone": row.get("phone", ""),
        },
        "external_reference": row.get("external_reference", ""),
        "start_of_work": row.get("start_of_work", ""),
    }
    if row.get("enterprise_number"):
        # Both a person and a company: refused for this row.
        data["company"] = {"enterprise_number": row["enterprise_number"], "email": row["email"]}
    if row.get("national_number"):
        data["recipient"]["national_number"] = row["national_number"]
    if row.get("language"):
        data["recipient"]["language"] = row["language"].lower()
    return _row_options(row, data)


def _row_options(row: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    if row.get("signing_deadline"):
        data["signing_deadline"] = row["signing_deadline"]
    if row.get("signature_page"):
        page = row["signature_page"]
        data["signature"] = {"page": int(page) if page.isascii() and page.isdigit() else page}
    return data


def bulk_entries_from_upload(
    *, csv_file: IO[bytes], zip_file: IO[bytes], default_title: str = ""
) -> list[BulkEntry]:
    """The entries of a bulk send: one per CSV row, with the PDF the row's
    ``pdf`` column names in the zip. Raises ``ValidationError`` (by form
    field) for a file that cannot be used at all."""
    rows = _read_csv(csv_file)
    try:
        archive = zipfile.ZipFile(zip_file)
        members = {
            info.filename.rsplit("/", 1)[-1]: info
            for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith("__MACOSX/")
        }
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationError(
            {"zip_file": gettext("The zip file is damaged or is not a zip file.")}, code="zip"
        ) from exc
    limit = settings.SIGNING_MAX_PDF_BYTES
    entries = []
    for row in rows:
        data = _row_data(row, default_title)
        name = row.get("pdf", "").rsplit("/", 1)[-1]
        info = members.get(name)
        if not name or info is None:
            entries.append(
                BulkEntry(
                    data=data,
                    pdf=None,
                    pdf_error=gettext("The zip has no file named '%s'.") % name,
                )
            )
            continue
        if info.file_size > limit:
            # Checked before reading: the zip's own sizes bound what is inflated.
            entries.append(
                BulkEntry(
                    data=data,
                    pdf=None,
                    pdf_error=gettext("'%(name)s' is larger than %(limit).0f MB.")
                    % {"name": name, "limit": limit / 1048576},
                )
            )
            continue
        try:
            pdf = archive.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            entries.append(
                BulkEntry(
                    data=data,
                    pdf=None,
                    pdf_error=gettext("'%(name)s' cannot be read from the zip (%(error)s).")
                    % {"name": name, "error": type(exc).__name__},
                )
            )
            continue
        entries.append(BulkEntry(data=data, pdf=pdf))
    return entries
