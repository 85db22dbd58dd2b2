"""The append-only, hash-chained audit log.

Each event stores the SHA-256 of the previous event's hash and its own
canonical content, so deleting, inserting or editing any row breaks the
chain at that row; ``paraph audit-verify`` walks it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from paraph.audit import registry

GENESIS_HASH = "0" * 64


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
    prev_hash = models.CharField(_("previous event's hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.name}"

    @property
    def description(self) -> str:
        return registry.describe(self.name)

    def canonical_bytes(self) -> bytes:
        """The event's content in one fixed serialisation, the input of its hash."""
        payload: dict[str, Any] = {
            "id": self.pk,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "name": self.name,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "subject_label": self.subject_label,
            "ip": self.ip,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("audit events are never deleted")


class AuditChainHead(models.Model):
    """One row, locked by every writer, that holds the newest event's id and
    hash: it serialises the chain across processes and nodes."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")
