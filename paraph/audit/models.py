"""The append-only audit log and its sealed checkpoints (ADR 16).

Each event stores its leaf hash, SHA-256(0x00 || its canonical content),
and is appended without any lock shared by other writers. A checkpoint
(``paraph audit-checkpoint``, at short intervals) numbers the events that
arrived since the previous one, builds the Merkle tree of every event so far
(RFC 9162) and records its size and root, sealed with Paraph's key and
time-stamped. Changing, deleting, inserting or reordering an event that a
checkpoint covers no longer matches the sealed root; ``paraph audit-verify``
names the first such event.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from paraph.audit import merkle, registry
from paraph.core.moments import moment_stamp


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    created_at = models.DateTimeField(_("time"), db_index=True)
    name = models.CharField(_("event"), max_length=100, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    subject_type = models.CharField(_("subject type"), max_length=100, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True, db_index=True)
    subject_label = models.CharField(_("subject"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # a random value in the hashed content: two identical events made in the
    # same microsecond still have different hashes
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # the leaf hash (hex) of the canonical content
    hash = models.CharField(_("hash"), max_length=64, unique=True)
    # the event's place in the Merkle tree (from one), given by the
    # checkpoint that first covers it; empty until then
    sequence = models.PositiveBigIntegerField(_("position"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{moment_stamp(self.created_at)} {self.name}"

    @property
    def description(self) -> str:
        return registry.describe(self.name)

    def canonical_bytes(self) -> bytes:
        """The event's content in one fixed serialisation, the input of its hash."""
        payload: dict[str, Any] = {
            "uid": str(self.uid),
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "name": self.name,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "subject_label": self.subject_label,
            "ip": self.ip,
            "data": self.data,
        }
        return json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    def compute_hash(self) -> str:
        """The leaf hash of the event's content, as it is now."""
        return merkle.leaf_hash(self.canonical_bytes()).hex()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("audit events are never deleted")


class AuditSequencer(models.Model):
    """One row, locked only by the checkpoint job (never by the writers of
    events) while it numbers new events: two checkpoint jobs never give two
    events the same place."""

    last_sequence = models.PositiveBigIntegerField(default=0)


class AuditCheckpoint(models.Model):
    """The Merkle tree of the first ``size`` events: its root, the previous
    checkpoint's size and root, Paraph's seal over that statement (a
    detached CMS signature with an RFC 3161 time-stamp), and the leaf hashes
    and event ids it added (to name a changed or moved event)."""

    size = models.PositiveBigIntegerField(_("events"), unique=True)
    root = models.CharField(_("root"), max_length=64)
    previous_size = models.PositiveBigIntegerField(unique=True)
    previous_root = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("time"))
    statement = models.BinaryField(_("sealed statement"))
    seal = models.BinaryField(_("seal"))
    sealed_at = models.DateTimeField(_("time-stamped at"))
    leaves = models.BinaryField()  # 32 bytes per event added, in sequence order
    event_ids = models.JSONField(default=list)  # the ids of the events added

    class Meta:
        ordering = ["-size"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint of {self.size} events, {moment_stamp(self.created_at)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit checkpoints are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("audit checkpoints are never deleted")


def checkpoint_statement(
    *, size: int, root: str, previous_size: int, previous_root: str, created_at: str
) -> bytes:
    """The bytes Paraph seals for a checkpoint: one fixed JSON
    serialisation a third party can rebuild."""
    return json.dumps(
        {
            "log": "paraph-audit",
            "tree": "RFC 9162, SHA-256",
            "size": size,
            "root": root,
            "previous_size": previous_size,
            "previous_root": previous_root,
            "created_at": created_at,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


class AuditNode(models.Model):
    """The root of a complete subtree of the audit log's Merkle tree: the
    ``index``-th run of 2^``level`` numbered events (``level`` a multiple of
    ``merkle.STRIDE``). Derived from the events, written by the checkpoint
    job once the subtree is complete, so that a root or a proof reads a few
    of these instead of the whole log; ``paraph audit-verify`` checks each
    against the events."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="audit_node_place"),
        ]

    def __str__(self) -> str:
        return f"subtree {self.index} of level {self.level}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("the audit tree's nodes are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("the audit tree's nodes are never deleted")
