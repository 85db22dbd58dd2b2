"""Bulk sending: a batch's entries kept, then made into contracts by any
number of workers, each taking chunks of items under a lease and making
each contract in its own transaction (so none is made twice)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.contracts.inputs import ContractIn
from paraph.contracts.models import BatchStatus, BulkBatch, BulkItem, BulkItemStatus
from paraph.contracts.services.common import actor_label, bulk_item_done, bulk_item_take
from paraph.contracts.services.creating import contract_create
from paraph.contracts.services.data import ContractData, pydantic_errors, recipient_shape_problems
from paraph.contracts.services.errors import (
    BulkItemTaken,
    ContractError,
    ContractInvalid,
    FieldError,
)
from paraph.core.context import SYSTEM, Context
from paraph.core.outbox import enqueue_on_commit, enqueue_safely, lease_until, resource_created
from paraph.core.storage import files_removed_on_failure
from paraph.senders.models import ApiKey, Sender

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BulkEntry:
    """One contract of a bulk send: its fields as received (a
    :class:`ContractIn` as a dict) and its PDF (None: missing, e.g. a CSV
    row naming a file the zip does not hold; ``pdf_error`` says why)."""

    data: dict[str, Any]
    pdf: bytes | None
    pdf_error: str = ""


def batch_create(
    *,
    sender: Sender,
    entries: list[BulkEntry],
    source: str,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> BulkBatch:
    """Keep the entries (fields and PDFs) and queue their processing: each
    becomes a contract, or a list of errors, in :func:`batch_process`.
    Answers at once; progress is on the batch."""
    if source not in ("api", "csv"):
        raise ValueError(f"unknown batch source {source!r}")
    if not entries:
        raise ContractInvalid(
            [FieldError("contracts", "required", gettext("Send at least one contract."))]
        )
    if len(entries) > settings.CONTRACT_BULK_MAX:
        raise ContractInvalid(
            [
                FieldError(
                    "contracts",
                    "too_many",
                    gettext("At most %(max)d contracts per bulk send.")
                    % {"max": settings.CONTRACT_BULK_MAX},
                )
            ]
        )
    from paraph.contracts.tasks import batch_process_task

    with files_removed_on_failure(default_storage) as written, transaction.atomic():
        batch = BulkBatch.objects.create(
            sender=sender, source=source, total=len(entries), created_by=actor, api_key=api_key
        )
        for index, entry in enumerate(entries):
            item = BulkItem(batch=batch, index=index, data=entry.data)
            if entry.pdf is not None:
                item.pdf.save(f"{index:05d}.pdf", ContentFile(entry.pdf), save=False)
                written.append(item.pdf.name)
            elif entry.pdf_error:
                item.errors = [FieldError("pdf", "missing", entry.pdf_error).as_dict()]
            item.save()
        audit_record(
            name="contracts.batch.created",
            actor=actor,
            subject=batch,
            data={"sender": sender.pk, "total": len(entries), "source": source},
            context=context,
            actor_label=actor_label(actor, api_key) if actor is None else "",
        )
        resource_created.send(sender=BulkBatch, subject=batch)
        # one task per worker that may share it (each takes chunks of items)
        for _ in range(
            max(1, min(settings.BATCH_PARALLELISM, -(-len(entries) // settings.BATCH_CHUNK)))
        ):
            enqueue_on_commit(batch_process_task, batch.pk)
    return batch


def batch_item_process(batch: BulkBatch, item: BulkItem) -> None:
    from pydantic import ValidationError as PydanticError

    errors: list[FieldError] = [FieldError(**e) for e in item.errors]
    if not errors:
        try:
            parsed = ContractIn.model_validate(item.data)
        except PydanticError as exc:
            errors = pydantic_errors(exc)
            # a person and a company, or neither: said with the rest
            errors += [
                e
                for e in recipient_shape_problems(item.data)
                if e.field not in {f.field for f in errors}
            ]
        else:
            pdf = b""
            if item.pdf:
                with item.pdf.open("rb") as handle:
                    pdf = handle.read()
            try:
                # Marks the item created in the contract's own transaction.
                contract_create(
                    sender=batch.sender,
                    data=ContractData.from_input(parsed),
                    pdf=pdf,
                    actor=batch.created_by,
                    api_key=batch.api_key,
                    batch=batch,
                    bulk_item=item,
                )
                return
            except BulkItemTaken:
                return
            except ContractInvalid as exc:
                errors = exc.errors
            except ContractError as exc:
                errors = [FieldError("", exc.code, str(exc))]
    with transaction.atomic():
        try:
            bulk_item_take(item)
        except BulkItemTaken:
            return
        bulk_item_done(item, contract=None, errors=errors)


def _batch_claimable(now: dt.datetime) -> Any:
    """Waiting, or running: workers share a batch (each takes its items in
    chunks, :func:`_batch_items_claim`)."""
    return Q(status__in=(BatchStatus.PENDING, BatchStatus.RUNNING))


def _batch_items_claim(batch: BulkBatch) -> list[BulkItem]:
    """The next pending items of ``batch`` that no live worker holds, in
    order, at most ``BATCH_CHUNK`` of them, now held by this worker until
    ``WORK_LEASE_SECONDS`` from now (renewed at each contract): another
    worker takes the next ones, and the items of a worker that died are
    taken again when their lease ends. The claim is a token written with
    the condition, so two workers never hold the same item (on PostgreSQL
    they also skip each other's rows instead of waiting)."""
    now = timezone.now()
    token = uuid.uuid4()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    with transaction.atomic():
        candidates = list(
            BulkItem.objects.select_for_update(skip_locked=True)
            .filter(free, batch=batch, status=BulkItemStatus.PENDING)
            .order_by("index")
            .values_list("pk", flat=True)[: settings.BATCH_CHUNK]
        )
        BulkItem.objects.filter(free, pk__in=candidates, status=BulkItemStatus.PENDING).update(
            claim=token, lease_until=lease_until(settings.WORK_LEASE_SECONDS, now=now)
        )
    return list(batch.items.filter(claim=token).order_by("index"))


def batch_process(*, batch_id: int) -> BulkBatch | None:
    """Make the contracts of a batch, one by one, each in its own
    transaction (a refused one does not stop the others). Any number of
    workers may run it at once: each takes the batch's items a chunk at a
    time (:func:`_batch_items_claim`), so a batch of thousands is made by
    every worker free. None when the batch is finished, or when its pending
    items are all held by live workers. Resumable: the items of a worker
    that died are taken again once their lease ended; each item is taken in
    its contract's own transaction, so no contract is ever made twice."""
    now = timezone.now()
    joined = (
        BulkBatch.objects.filter(pk=batch_id)
        .filter(_batch_claimable(now))
        .update(
            status=BatchStatus.RUNNING,
            lease_until=lease_until(settings.WORK_LEASE_SECONDS, now=now),
        )
    )
    if not joined:
        return None
    batch = BulkBatch.objects.select_related("sender", "created_by", "api_key").get(pk=batch_id)
    worked = False
    while chunk := _batch_items_claim(batch):
        worked = True
        for item in chunk:
            try:
                batch_item_process(batch, item)
            except Exception:
                logger.exception("batch %s item %s failed unexpectedly", batch.pk, item.index)
                with transaction.atomic():
                    try:
                        bulk_item_take(item)
                    except BulkItemTaken:
                        continue
                    bulk_item_done(
                        item,
                        contract=None,
                        errors=[
                            FieldError("", "internal", gettext("An unexpected error occurred."))
                        ],
                    )
    if batch.items.filter(status=BulkItemStatus.PENDING).exists():
        # held by other workers (they finish it), or by one that died (its
        # items are taken again when their lease ends: the sweeper)
        return batch if worked else None
    with transaction.atomic():
        finished = BulkBatch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(
            status=BatchStatus.DONE, finished_at=timezone.now(), lease_until=None
        )
        batch.refresh_from_db()
        if not finished:
            return batch if worked else None  # another worker finished it
        audit_record(
            name="contracts.batch.finished",
            subject=batch,
            data={"total": batch.total, "succeeded": batch.succeeded, "failed": batch.failed},
        )
    return batch


def batches_sweep(now: dt.datetime) -> int:
    """Enqueue again every batch that is due and in no live worker's hands:
    waiting ones whose task was lost (after a lease, so one waiting in a
    long queue is not enqueued at every sweep) and running ones whose
    worker died. Returns how many were enqueued."""
    from paraph.contracts.tasks import batch_process_task

    grace = now - dt.timedelta(seconds=settings.WORK_LEASE_SECONDS)
    due = list(
        BulkBatch.objects.filter(
            Q(status=BatchStatus.PENDING, created_at__lte=grace)
            | Q(status=BatchStatus.RUNNING, lease_until__lt=now)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    return sum(enqueue_safely(batch_process_task, batch_id) for batch_id in due)
