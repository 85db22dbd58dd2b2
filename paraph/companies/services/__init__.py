"""Every write about companies: importing the KBO open data (here);
registering a company and correcting its data (``registration``); its users
and acting for it (``users``); changing its digital representative
(``representative``).

A full export loads into a new dataset in chunks (one short transaction
each, so the database is never locked for long and memory stays bounded),
then replaces the current dataset in one short transaction; the replaced
rows are removed afterwards. An update applies its ``_delete`` then
``_insert`` files to the current dataset in one transaction. A refused
file leaves the data as it was (docs/companies.md, ADR 17).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone

from paraph.audit.services import audit_record
from paraph.companies import selectors
from paraph.companies.kbo_files import (
    CODE,
    ENTERPRISE,
    ENTITY_TABLES,
    ESTABLISHMENT,
    TABLES,
    KboImportError,
    Meta,
    RowReader,
    Table,
    check_header,
    read_keys,
    read_meta,
)
from paraph.companies.models import (
    Address,
    Company,
    Denomination,
    Establishment,
    KboCode,
    KboImport,
)

__all__ = [
    "CompanyRefused",
    "KboImportError",
    "acting_check",
    "acting_set",
    "assurance_refusal",
    "company_check",
    "company_register",
    "company_user_remove",
    "company_user_set_signer",
    "correction_decide",
    "correction_file",
    "correction_may_decide",
    "invitation_accept",
    "invitation_create",
    "invitation_find",
    "kbo_import",
    "person_may_register_companies",
    "representative_accept",
    "representative_change_find",
    "representative_change_waiting",
    "representative_company_check",
    "representative_designate",
    "representative_designation_check",
    "representative_withdraw",
]

MODELS: dict[str, type[models.Model]] = {
    "code": KboCode,
    "enterprise": Company,
    "establishment": Establishment,
    "denomination": Denomination,
    "address": Address,
}
# Rows per INSERT batch (and per transaction of a full import).
CHUNK_ROWS = 5000
# Entity numbers per DELETE of an update; rows per DELETE of a purge.
KEYS_PER_DELETE = 500
PURGE_ROWS = 5000
# An import still "running" after this long died without saying so.
RUNNING_STALE = dt.timedelta(hours=12)

T = TypeVar("T")


def kbo_import(*, directory: Path | str, actor: models.Model | None = None) -> KboImport:
    """Import one unzipped KBO open-data export (full or update, as its
    meta.csv says). Refuses, with :class:`KboImportError` naming the file
    and line and leaving the data as it was: a missing file or column, a
    bad number or date, an update older than the data, an update before
    any full export, another import still running."""
    folder = Path(directory)
    if not folder.is_dir():
        raise KboImportError(f"{folder}: no such directory")
    meta = read_meta(folder)
    files = _files(folder, meta)
    for path, table, keys_only in files:
        check_header(path, table, keys_only=keys_only)
    current = selectors.kbo_dataset_current()
    if meta.extract_type == KboImport.Kind.UPDATE:
        _check_update_applies(meta, current)
    record = _start(meta, folder, current if meta.extract_type == KboImport.Kind.UPDATE else None)
    try:
        if record.kind == KboImport.Kind.FULL:
            counts = _load_full(folder, record.pk)
        else:
            assert current is not None
            counts = _apply_update(folder, current.pk)
    except (KboImportError, DatabaseError) as exc:
        _fail(record, str(exc), actor)
        if isinstance(exc, KboImportError):
            raise
        raise KboImportError(f"the database refused the import: {exc}") from exc
    _finish(record, counts, actor)
    kbo_purge()
    return record


def _files(folder: Path, meta: Meta) -> list[tuple[Path, Table, bool]]:
    if meta.extract_type == KboImport.Kind.FULL:
        return [(folder / f"{table.file}.csv", table, False) for table in TABLES]
    files = [
        (folder / f"{table.file}_{part}.csv", table, part == "delete")
        for table in ENTITY_TABLES
        for part in ("delete", "insert")
    ]
    if (folder / "code.csv").exists():
        files.append((folder / "code.csv", CODE, False))
    return files


def _check_update_applies(meta: Meta, current: KboImport | None) -> None:
    if current is None:
        raise KboImportError("an update needs the data of a full export: import one first")
    latest = selectors.kbo_import_latest(dataset=current)
    if (
        meta.extract_number is not None
        and latest.extract_number is not None
        and meta.extract_number <= latest.extract_number
    ):
        raise KboImportError(
            f"update extract {meta.extract_number} is not newer than the data "
            f"(extract {latest.extract_number}): it is already included"
        )


def _start(meta: Meta, folder: Path, dataset: KboImport | None) -> KboImport:
    now = timezone.now()
    with transaction.atomic():
        # One that died (killed, machine lost): failed, its rows purged later.
        KboImport.objects.filter(
            status=KboImport.Status.RUNNING, started_at__lt=now - RUNNING_STALE
        ).update(status=KboImport.Status.FAILED, error="interrupted", finished_at=now)
        running = KboImport.objects.filter(
            status=KboImport.Status.RUNNING, started_at__gte=now - RUNNING_STALE
        ).first()
        if running is not None:
            raise KboImportError(
                f"another import is running (started {running.started_at:%Y-%m-%d %H:%M} UTC)"
            )
        return KboImport.objects.create(
            kind=meta.extract_type,
            dataset=dataset,
            extract_number=meta.extract_number,
            snapshot_date=meta.snapshot_date,
            extract_timestamp=meta.extract_timestamp,
            version=meta.version,
            source=str(folder)[:500],
            started_at=now,
        )


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert_sql(table: Table) -> str:
    model = MODELS[table.file]
    quote = connection.ops.quote_name
    columns = [*(field for _column, field, _convert in table.fields), "dataset_id"]
    # Names from the models, quoted; the values go as parameters.
    table_name = quote(model._meta.db_table)
    placeholders = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table_name} ({', '.join(map(quote, columns))}) VALUES ({placeholders})"  # noqa: S608


def _load(path: Path, table: Table, dataset_id: int, *, replace: bool = False) -> int:
    """Insert the rows of one file, ``CHUNK_ROWS`` at a time, each batch in
    its own transaction (a savepoint inside an update's). ``replace``
    first removes rows with the same numbers (an update's enterprises and
    establishments), so an insert without its delete still leaves one row."""
    sql = _insert_sql(table)
    model = MODELS[table.file]
    key = [field for _c, field, _v in table.fields].index(table.db_key)
    rows = RowReader(path, table, extra=(dataset_id,))
    count = 0
    first = 2
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, CHUNK_ROWS):
            try:
                with transaction.atomic():
                    if replace:
                        for keys in _chunks((row[key] for row in chunk), KEYS_PER_DELETE):
                            model._default_manager.filter(
                                dataset_id=dataset_id, **{f"{table.db_key}__in": keys}
                            ).delete()
                    cursor.executemany(sql, chunk)
            except IntegrityError as exc:
                raise KboImportError(
                    f"{path.name}, lines {first} to {rows.line}: a number appears twice ({exc})"
                ) from exc
            count += len(chunk)
            first = rows.line + 1
    return count


def _load_full(folder: Path, dataset_id: int) -> dict[str, int]:
    return {table.file: _load(folder / f"{table.file}.csv", table, dataset_id) for table in TABLES}


def _apply_update(folder: Path, dataset_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    with transaction.atomic():
        if (folder / "code.csv").exists():
            # code.csv always holds every code, not only the changed ones.
            KboCode.objects.filter(dataset_id=dataset_id).delete()
            counts["code"] = _load(folder / "code.csv", CODE, dataset_id)
        for table in ENTITY_TABLES:
            model = MODELS[table.file]
            deleted = 0
            keys = (key for _line, key in read_keys(folder / f"{table.file}_delete.csv", table))
            for chunk in _chunks(keys, KEYS_PER_DELETE):
                deleted += model._default_manager.filter(
                    dataset_id=dataset_id, **{f"{table.db_key}__in": chunk}
                ).delete()[0]
            counts[f"{table.file}_deleted"] = deleted
            counts[f"{table.file}_inserted"] = _load(
                folder / f"{table.file}_insert.csv",
                table,
                dataset_id,
                replace=table in (ENTERPRISE, ESTABLISHMENT),
            )
    return counts


def _audit_data(record: KboImport, **extra: Any) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "extract_number": record.extract_number,
        "snapshot_date": record.snapshot_date.isoformat() if record.snapshot_date else None,
        "source": record.source[:200],
        **extra,
    }


def _finish(record: KboImport, counts: dict[str, int], actor: models.Model | None) -> None:
    """Make a full import's dataset the current one (the previous one is
    marked replaced, its rows purged afterwards); record the import."""
    with transaction.atomic():
        if record.kind == KboImport.Kind.FULL:
            KboImport.objects.filter(kind=KboImport.Kind.FULL, status=KboImport.Status.DONE).update(
                status=KboImport.Status.REPLACED
            )
        record.status = KboImport.Status.DONE
        record.counts = counts
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "counts", "finished_at"])
        audit_record(
            name="companies.kbo.imported",
            actor=actor,
            actor_label="" if actor else "paraph import-kbo",
            subject=record,
            data=_audit_data(record, counts=counts),
        )


def _fail(record: KboImport, error: str, actor: models.Model | None) -> None:
    with transaction.atomic():
        record.status = KboImport.Status.FAILED
        record.error = error[:2000]
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "error", "finished_at"])
        audit_record(
            name="companies.kbo.import_failed",
            actor=actor,
            actor_label="" if actor else "paraph import-kbo",
            subject=record,
            data=_audit_data(record, error=error[:500]),
        )
    if record.kind == KboImport.Kind.FULL:
        _purge_dataset(record.pk)


def _purge_dataset(dataset_id: int) -> int:
    removed = 0
    for model in MODELS.values():
        while True:
            with transaction.atomic():
                ids = list(
                    model._default_manager.filter(dataset_id=dataset_id).values_list(
                        "pk", flat=True
                    )[:PURGE_ROWS]
                )
                if not ids:
                    break
                removed += model._default_manager.filter(pk__in=ids).delete()[0]
    return removed


def kbo_purge() -> int:
    """Remove the rows of replaced datasets and of failed full imports, a
    chunk per transaction (lookups never read them). Returns rows removed."""
    stale = KboImport.objects.filter(
        kind=KboImport.Kind.FULL,
        status__in=[KboImport.Status.REPLACED, KboImport.Status.FAILED],
    ).values_list("pk", flat=True)
    return sum(_purge_dataset(dataset_id) for dataset_id in stale)


# The other writes, one module each, importable from here as before.
from paraph.companies.services.registration import (  # noqa: E402
    CompanyRefused,
    assurance_refusal,
    company_check,
    company_register,
    correction_decide,
    correction_file,
    correction_may_decide,
    person_may_register_companies,
)
from paraph.companies.services.representative import (  # noqa: E402
    representative_accept,
    representative_change_find,
    representative_change_waiting,
    representative_company_check,
    representative_designate,
    representative_designation_check,
    representative_withdraw,
)
from paraph.companies.services.users import (  # noqa: E402
    acting_check,
    acting_set,
    company_user_remove,
    company_user_set_signer,
    invitation_accept,
    invitation_create,
    invitation_find,
)
