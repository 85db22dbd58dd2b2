"""Writing the audit log. The only writer of :class:`AuditEvent`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from paraph.audit import registry
from paraph.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from paraph.core.http import client_ip


def _label(obj: models.Model | None) -> str:
    return "" if obj is None else str(obj)[:200]


def audit_record(
    *,
    name: str,
    actor: models.Model | None = None,
    subject: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    Refuses a name that no app registered. Call it from the service that
    makes the change, inside the same ``transaction.atomic`` block, so the
    change and its audit row commit together or not at all.
    """
    if not registry.is_registered(name):
        raise ValueError(f"unregistered audit event {name!r}")
    user = getattr(request, "user", None)
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            created_at=timezone.now(),
            name=name,
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor_label or _label(actor),
            subject_type=subject._meta.label_lower if subject is not None else "",
            subject_id=str(subject.pk) if subject is not None else "",
            subject_label=_label(subject),
            ip=client_ip(request),
            data=data or {},
            prev_hash=head.last_hash or GENESIS_HASH,
            hash="pending:" + str(head.last_id + 1),
        )
        event.save()
        # The id is part of the hashed content, so the hash is computed once
        # the row has one; a direct UPDATE keeps the model's append-only rule.
        event.hash = event.compute_hash()
        AuditEvent.objects.filter(pk=event.pk).update(hash=event.hash)
        head.last_id = event.pk
        head.last_hash = event.hash
        head.save(update_fields=["last_id", "last_hash"])
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def audit_verify_chain() -> ChainBreak | None:
    """Walk the whole chain in order; return the first event that breaks it,
    or None when every event's hash and link are intact."""
    prev_hash = GENESIS_HASH
    last_id = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev_hash:
            return ChainBreak(
                event.pk,
                "its link to the previous event does not match (an event was removed or inserted)",
            )
        if event.compute_hash() != event.hash:
            return ChainBreak(
                event.pk, "its content does not match its hash (the event was changed)"
            )
        prev_hash = event.hash
        last_id = event.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_id != last_id:
        return ChainBreak(
            head.last_id or last_id, "the newest event recorded by the chain head is missing"
        )
    return None
