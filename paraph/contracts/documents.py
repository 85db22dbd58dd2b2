"""Reading a contract's PDFs back from document storage, checked.

A contract keeps three legal documents, each with its SHA-256 in the row:
the sender's original (``original_sha256``), the document to sign
(``document_sha256``) and the signed PDF (``signed_sha256``). Every read
goes through :func:`contract_document_open` (a download: a file to stream)
or :func:`contract_document_read` (the bytes, to sign or draw): the stored
object must hash to the row's value, else
:class:`~paraph.core.storage.DocumentUnavailable` is raised, after one
error in the log and one ``contracts.document.refused`` audit event (what
``/metrics`` counts as ``paraph_documents_refused``). Nothing is served then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages

from paraph.audit.services import audit_record
from paraph.contracts.models import BulkItem, Contract
from paraph.core.context import SYSTEM, Context
from paraph.core.storage import (
    DocumentUnavailable,
    document_open,
    object_copy,
    stored_documents,
)

logger = logging.getLogger(__name__)

# which → (file field, SHA-256 field)
DOCUMENTS = {
    "original": ("original_pdf", "original_sha256"),
    "document": ("document_pdf", "document_sha256"),
    "signed": ("signed_pdf", "signed_sha256"),
}


def contract_document_open(
    *, contract: Contract, which: str, context: Context = SYSTEM
) -> File[Any]:
    """Contract ``which`` (``original``, ``document`` or ``signed``) as a
    file open at its start, its bytes checked against the row's SHA-256
    (see :func:`paraph.core.storage.document_open`). Raises
    :class:`DocumentUnavailable` when the object is missing or altered, or
    when the contract has no such document (a signed PDF before signing)."""
    field_name, hash_name = DOCUMENTS[which]
    stored = getattr(contract, field_name)
    try:
        return document_open(
            storage=stored.storage,
            name=stored.name or "",
            sha256=getattr(contract, hash_name),
            what=which,
            ref=f"contract {contract.public_id}",
        )
    except DocumentUnavailable as exc:
        _refused(contract=contract, problem=exc, context=context)
        raise


def contract_document_read(*, contract: Contract, which: str, context: Context = SYSTEM) -> bytes:
    """The bytes of contract ``which``, checked as by
    :func:`contract_document_open`."""
    with contract_document_open(contract=contract, which=which, context=context) as handle:
        data: bytes = handle.read()
    return data


def _refused(*, contract: Contract, problem: DocumentUnavailable, context: Context) -> None:
    logger.error(
        "document refused: %s (contract %s, %s, %s)",
        problem,
        contract.public_id,
        problem.what,
        problem.reason,
    )
    try:
        audit_record(
            name="contracts.document.refused",
            subject=contract,
            data={"document": problem.what, "name": problem.name, "reason": problem.reason},
            context=context,
        )
    except Exception:  # the refusal stands even when the audit log cannot say so
        logger.exception("could not record the refused document of contract %s", contract.public_id)


# --- Moving every document to another storage (paraph storage-migrate) ---------------------


@dataclass
class MigrationRun:
    """What one run of :func:`documents_migrate` did."""

    copied: int = 0
    present: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def contract_stored_documents() -> Iterator[tuple[str, str]]:
    """``(name, sha256)`` of every file the contracts' rows refer to: each
    contract's original, document to sign and signed PDF with the hash its
    row holds, and the PDFs of bulk sends not processed yet (no hash
    recorded: ``""``). Page images are not listed: they are made again.
    Registered in :func:`paraph.core.storage.stored_documents`."""
    rows = Contract.objects.order_by("pk").values_list(
        "original_pdf",
        "original_sha256",
        "document_pdf",
        "document_sha256",
        "signed_pdf",
        "signed_sha256",
    )
    for original, original_sha, document, document_sha, signed, signed_sha in rows.iterator(
        chunk_size=500
    ):
        yield original, original_sha
        yield document, document_sha
        if signed:
            yield signed, signed_sha
    staged = BulkItem.objects.exclude(pdf="").exclude(pdf__isnull=True).order_by("pk")
    for name in staged.values_list("pdf", flat=True).iterator(chunk_size=500):
        yield name, ""


def documents_migrate(*, to: str, report: Callable[[str, str], None] | None = None) -> MigrationRun:
    """Copy every stored document from the other storage of
    ``settings.DOCUMENT_STORAGES`` to ``to`` (``s3`` or ``filesystem``),
    each checked against its SHA-256 before and after (see
    :func:`paraph.core.storage.object_copy`). A document already there
    with the right hash is left alone, so a run that was interrupted is
    simply run again. One that fails (missing, altered) is reported and
    the others go on. ``report(name, outcome)`` hears of each. Nothing is
    deleted from the source: switch ``PARAPH_STORAGE`` once it succeeds."""
    if to not in settings.DOCUMENT_STORAGES:
        raise ValueError(f"unknown storage {to!r}")
    (source_name,) = [name for name in settings.DOCUMENT_STORAGES if name != to]
    source = storages.create_storage(settings.DOCUMENT_STORAGES[source_name])
    target = storages.create_storage(settings.DOCUMENT_STORAGES[to])
    run = MigrationRun()
    for name, sha256 in stored_documents():  # every app's (contracts, mandates)
        try:
            copied = object_copy(source=source, target=target, name=name, sha256=sha256)
        except (DocumentUnavailable, OSError) as exc:
            logger.error("storage-migrate: %s not copied: %s", name, exc)
            run.failed.append((name, str(exc)))
            outcome = "failed"
        else:
            if copied:
                run.copied += 1
            else:
                run.present += 1
            outcome = "copied" if copied else "present"
        if report is not None:
            report(name, outcome)
    return run
