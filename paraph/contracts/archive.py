"""Archive renewal of signed contracts: a signed contract is evidence for
years (law of 24 July 1987), longer than any time-stamp authority's
certificate lives. Before the newest document time-stamp's certificate
ends, a new document time-stamp is added over the whole file, with the
validation data of the previous one (PAdES B-LTA), so the chain of proof
goes on. Run by ``paraph archive-renew`` (daily from cron) or its task.

The time-stamp (a network call) is made before any transaction; the new
file and its hash are then recorded in one short transaction under the
contract's row lock, with one evidence event and one audit event. The
renewed file starts with the bytes of the one it replaces."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from paraph.audit.services import audit_record
from paraph.contracts.documents import contract_document_read
from paraph.contracts.models import Contract, ContractEvent, ContractStatus
from paraph.contracts.services import ContractError
from paraph.core.storage import DocumentUnavailable
from paraph.signing.exceptions import SigningError
from paraph.signing.selectors import archive_state
from paraph.signing.services import document_archive_renew

logger = logging.getLogger(__name__)


def renew_margin() -> timedelta:
    return timedelta(days=settings.SIGNING_ARCHIVE_RENEW_BEFORE_DAYS)


def contract_archive_renew(
    *, contract: Contract, now: datetime | None = None, margin: timedelta | None = None
) -> bool:
    """Give ``contract``'s signed PDF a new document time-stamp when its
    newest one's certificate ends within ``margin`` (or it has none).
    Returns False when it is not due (then records when that certificate
    ends) or another process renewed it meanwhile. Raises
    :class:`ContractError` ``integrity`` when the stored file does not match
    its recorded hash (never renewed then), and :class:`SigningError` when
    the time-stamp cannot be had."""
    moment = now or timezone.now()
    if contract.status != ContractStatus.SIGNED or not contract.signed_sha256:
        return False
    try:
        data = contract_document_read(contract=contract, which="signed")
    except DocumentUnavailable as exc:
        raise ContractError(str(exc), code="integrity") from exc
    before = archive_state(data)
    if not before.due(moment, margin or renew_margin()):
        if contract.archive_expires_at != before.expires_at:
            # known from now on: the daily run does not read it again
            # until it is due
            Contract.objects.filter(pk=contract.pk, signed_sha256=contract.signed_sha256).update(
                archive_expires_at=before.expires_at
            )
        return False
    renewed = document_archive_renew(data)
    after = archive_state(renewed)
    new_sha256 = hashlib.sha256(renewed).hexdigest()
    old_name = contract.signed_pdf.name
    written = ""
    try:
        with transaction.atomic():
            locked = Contract.objects.select_for_update().get(pk=contract.pk)
            if locked.signed_sha256 != contract.signed_sha256:
                return False  # renewed by another process meanwhile
            locked.signed_pdf.save("signed.pdf", ContentFile(renewed), save=False)
            written = locked.signed_pdf.name
            locked.signed_sha256 = new_sha256
            locked.archive_expires_at = after.expires_at
            locked.save(update_fields=["signed_pdf", "signed_sha256", "archive_expires_at"])
            data_recorded = {
                "previous_sha256": contract.signed_sha256,
                "signed_sha256": new_sha256,
                "previous_timestamp_ends": _iso(before.expires_at),
                "timestamp_at": _iso(after.last_timestamp_at),
                "timestamp_ends": _iso(after.expires_at),
            }
            ContractEvent.objects.create(
                contract=locked,
                name="archive_renewed",
                actor_label="Paraph",
                data=data_recorded,
            )
            audit_record(
                name="contracts.contract.archive_renewed", subject=locked, data=data_recorded
            )
            transaction.on_commit(lambda: _delete_quietly(old_name))
    except BaseException:
        if written:
            _delete_quietly(written)
        raise
    contract.refresh_from_db()
    return True


@dataclass
class RenewalRun:
    """What one run of :func:`contracts_archive_renew_due` did: contracts
    renewed, read but not due (their end was not known yet), failed."""

    renewed: int = 0
    not_due: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def contracts_archive_renew_due(
    *, now: datetime | None = None, margin: timedelta | None = None, limit: int | None = None
) -> RenewalRun:
    """Renew every signed contract that is due; one failing contract (a
    damaged file, a TSA down) is logged and reported, and the others go on.

    Only the contracts whose recorded end (``archive_expires_at``) falls
    within the margin, or is not known yet, are read: found through an
    index, not by reading every signed contract's file every day (with a
    million contracts signed a day, a year holds hundreds of millions)."""
    run = RenewalRun()
    until = (now or timezone.now()) + (margin or renew_margin())
    due = (
        Contract.objects.filter(status=ContractStatus.SIGNED)
        .filter(Q(archive_expires_at__isnull=True) | Q(archive_expires_at__lte=until))
        .exclude(signed_sha256="")
        .order_by("pk")
    )
    after = 0
    # In pages after the last one seen: no cursor held open across the
    # time-stamp calls.
    while page := list(due.filter(pk__gt=after)[:200]):
        for contract in page:
            if limit is not None and run.renewed >= limit:
                return run
            try:
                if contract_archive_renew(contract=contract, now=now, margin=margin):
                    run.renewed += 1
                else:
                    run.not_due += 1
            except (ContractError, SigningError, OSError) as exc:
                logger.warning("archive renewal of contract %s failed: %s", contract.public_id, exc)
                run.failed.append((str(contract.public_id), str(exc)))
        after = page[-1].pk
    return run


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # an object store raises its own errors, not OSError
        logger.exception("could not remove %s", name)
