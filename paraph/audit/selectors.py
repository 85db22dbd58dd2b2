"""Reading the audit log: a subject's events with their proofs."""

from __future__ import annotations

import base64
from typing import Any

from django.db import models

from paraph.audit import merkle
from paraph.audit.models import AuditCheckpoint, AuditEvent, AuditNode, AuditSequencer


class StoredTree:
    """The audit log's tree as the database holds it (a :class:`merkle.Source`):
    the leaf hashes of the numbered events, read a range at a time, and the
    stored roots of complete subtrees; each range read once per tree (its
    rows never change). Counts the leaf hashes it read."""

    def __init__(self) -> None:
        self.leaves_read = 0
        self._leaves: dict[tuple[int, int], list[bytes]] = {}
        self._nodes: dict[tuple[int, int, int], list[bytes]] = {}

    def leaves(self, offset: int, width: int) -> list[bytes]:
        key = (offset, width)
        if key not in self._leaves:
            hashes = (
                AuditEvent.objects.filter(sequence__gt=offset, sequence__lte=offset + width)
                .order_by("sequence")
                .values_list("hash", flat=True)
            )
            self._leaves[key] = [bytes.fromhex(h) for h in hashes.iterator(chunk_size=5000)]
            self.leaves_read += len(self._leaves[key])
        return self._leaves[key]

    def nodes(self, level: int, index: int, count: int) -> list[bytes]:
        key = (level, index, count)
        if key not in self._nodes:
            stored = (
                AuditNode.objects.filter(level=level, index__gte=index, index__lt=index + count)
                .order_by("index")
                .values_list("index", "hash")
            )
            found = []
            for n, (at, node) in enumerate(stored, start=index):
                if at != n:
                    break  # a gap: the caller computes that subtree from below
                found.append(bytes(node))
            self._nodes[key] = found
        return self._nodes[key]


def audit_tree() -> StoredTree:
    return StoredTree()


def audit_event_count() -> int:
    """How many events the log holds, without counting it row by row: the
    numbered ones are the sequencer's last place, only those not numbered
    yet (a checkpoint interval's) are counted, through the index on their
    place."""
    sequencer = AuditSequencer.objects.filter(pk=1).first()
    numbered = sequencer.last_sequence if sequencer is not None else 0
    return numbered + AuditEvent.objects.filter(sequence__isnull=True).count()


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
    tree = audit_tree()
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
                "proof": merkle.tree_inclusion_proof(tree, event.sequence, checkpoint.size),
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
