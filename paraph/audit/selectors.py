"""Reading the audit log: a subject's events with their proofs."""

from __future__ import annotations

import base64
from typing import Any

from django.db import models

from paraph.audit import merkle
from paraph.audit.models import AuditCheckpoint, AuditEvent


def leaves_up_to(size: int) -> list[bytes]:
    """The leaf hashes of the first ``size`` placed events, in order."""
    hashes = (
        AuditEvent.objects.filter(sequence__isnull=False, sequence__lte=size)
        .order_by("sequence")
        .values_list("hash", flat=True)
    )
    return [bytes.fromhex(h) for h in hashes.iterator(chunk_size=5000)]


def audit_prove(subject: models.Model) -> dict[str, Any]:
    """The audit events about ``subject`` with their inclusion proofs in the
    newest checkpoint, and that checkpoint's sealed statement and seal: what
    a third party needs to check them offline (RFC 9162 proofs, pymerkle's
    JSON form; the seal a detached CMS signature over the statement)."""
    checkpoint = AuditCheckpoint.objects.order_by("-size").first()
    events = AuditEvent.objects.filter(
        subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
    ).order_by("sequence", "id")
    proven: list[dict[str, Any]] = []
    pending: list[int] = []
    leaves = leaves_up_to(checkpoint.size) if checkpoint is not None else []
    for event in events:
        if checkpoint is None or event.sequence is None or event.sequence > checkpoint.size:
            pending.append(event.pk)
            continue
        proven.append(
            {
                "id": event.pk,
                "name": event.name,
                "place": event.sequence,
                "content": event.canonical_bytes().decode(),
                "leaf_hash": event.hash,
                "proof": merkle.inclusion_proof(leaves, event.sequence, checkpoint.size),
            }
        )
    return {
        "checkpoint": None
        if checkpoint is None
        else {
            "size": checkpoint.size,
            "root": checkpoint.root,
            "statement": bytes(checkpoint.statement).decode(),
            "seal_base64": base64.b64encode(bytes(checkpoint.seal)).decode(),
            "sealed_at": checkpoint.sealed_at.isoformat(),
        },
        "events": proven,
        "not_yet_checkpointed": pending,
    }
