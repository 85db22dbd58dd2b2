"""Reads about mandates that pages and other apps share."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files import File
from django.utils import timezone

from paraph.accounts.models import Person
from paraph.core.storage import DocumentUnavailable, document_open
from paraph.mandates.models import IN_PROGRESS, Mandate, MandateStatus
from paraph.signing.models import PersonSigningKey

logger = logging.getLogger(__name__)


def mandate_current(person: Person) -> Mandate | None:
    """The person's active mandate, if it has not reached its end (the
    periodic expiry may not have run yet: an ended year never signs)."""
    if not person.pk:
        return None
    return (
        Mandate.objects.filter(
            person=person, status=MandateStatus.ACTIVE, valid_until__gt=timezone.now()
        )
        .order_by("-valid_until")
        .first()
    )


def mandate_in_progress(person: Person) -> Mandate | None:
    """The mandate the person started and has not finished (pending their
    signature, or signed and waiting for the password)."""
    return Mandate.objects.filter(person=person, status__in=IN_PROGRESS).first()


def mandate_get_for_person(*, person: Person, public_id: Any) -> Mandate:
    """One of the person's mandates; anyone else's raises DoesNotExist."""
    return Mandate.objects.get(person=person, public_id=public_id)


@dataclass(frozen=True)
class MandateSummary:
    """What the preferences page shows: the active mandate (with its end
    and the days left), one being signed, the last that ended."""

    current: Mandate | None
    in_progress: Mandate | None
    last_ended: Mandate | None
    days_left: int | None

    @property
    def status(self) -> str:
        if self.current is not None:
            return "active"
        if self.last_ended is not None and self.last_ended.status == MandateStatus.ACTIVE:
            return "expired"  # its year is over; the periodic expiry has not run yet
        if self.last_ended is not None:
            return str(self.last_ended.status)
        return "none"

    @property
    def renewal_soon(self) -> bool:
        return self.days_left is not None and self.days_left <= 30


def mandate_status_for(person: Person, *, now: datetime | None = None) -> MandateSummary:
    """The person's mandate situation, in two queries."""
    moment = now or timezone.now()
    mandates = list(
        Mandate.objects.filter(person=person)
        .defer("document_pdf", "signed_pdf")
        .order_by("-created_at", "-pk")[:10]
    )
    current = next((m for m in mandates if m.is_current(moment)), None)
    in_progress = next((m for m in mandates if m.status in IN_PROGRESS), None)
    last_ended = next(
        (m for m in mandates if m is not current and m.status not in IN_PROGRESS), None
    )
    days_left = None
    if current is not None and current.valid_until is not None:
        days_left = max(0, (current.valid_until - moment).days)
    return MandateSummary(current, in_progress, last_ended, days_left)


@dataclass(frozen=True)
class PasswordSigningState:
    """Wrong passwords the person may still type before password signing
    locks, and until when it is locked (None: not locked)."""

    tries_left: int
    locked_until: datetime | None


def password_signing_state(person: Person) -> PasswordSigningState:
    from paraph.signing.services import PASSWORD_MAX_FAILURES

    key = PersonSigningKey.objects.filter(person=person, retired_at__isnull=True).first()
    if key is None:
        return PasswordSigningState(PASSWORD_MAX_FAILURES, None)
    locked = key.locked_until if key.locked_until and key.locked_until > timezone.now() else None
    return PasswordSigningState(max(0, PASSWORD_MAX_FAILURES - key.failed_attempts), locked)


def _which(mandate: Mandate, signed: bool | None) -> tuple[str, str]:
    use_signed = bool(mandate.signed_pdf) if signed is None else signed
    return ("signed_pdf", "signed_sha256") if use_signed else ("document_pdf", "document_sha256")


def mandate_pdf_open(mandate: Mandate, *, signed: bool | None = None) -> File[Any]:
    """The mandate's PDF from document storage, as a file open at its start
    once its bytes hash to the SHA-256 its row holds (see
    :func:`paraph.core.storage.document_open`): the signed (or sealed) one
    once there is one (or when ``signed``), else the document as generated.
    Raises :class:`~paraph.core.storage.DocumentUnavailable` (logged and
    counted for ``/metrics``) when it is missing or altered: never served,
    never signed then. The caller closes the file."""
    field_name, hash_name = _which(mandate, signed)
    stored = getattr(mandate, field_name)
    try:
        return document_open(
            storage=stored.storage,
            name=stored.name or "",
            sha256=getattr(mandate, hash_name),
            what="mandate",
            ref=f"mandate {mandate.reference}",
        )
    except DocumentUnavailable as exc:
        logger.error("document refused: %s", exc)
        raise


def mandate_pdf_checked(mandate: Mandate, *, signed: bool | None = None) -> bytes:
    """The bytes of :func:`mandate_pdf_open` (a mandate is one page)."""
    with mandate_pdf_open(mandate, signed=signed) as handle:
        data: bytes = handle.read()
    return data


def mandate_stored_documents() -> Iterator[tuple[str, str]]:
    """``(name, sha256)`` of every mandate PDF in document storage (for
    ``paraph storage-migrate``; registered in ``MandatesConfig.ready``)."""
    rows = Mandate.objects.order_by("pk").values_list(
        "document_pdf", "document_sha256", "signed_pdf", "signed_sha256"
    )
    for document, document_sha, signed, signed_sha in rows.iterator(chunk_size=500):
        if document:
            yield document, document_sha
        if signed:
            yield signed, signed_sha
