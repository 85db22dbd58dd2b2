"""What the API must remember between requests: idempotency keys."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """The first answer to a creation request that carried an
    ``Idempotency-Key`` header, kept 24 hours: the same key with the same
    body gets the same answer again, never a second contract.
    ``request_hash`` is the SHA-256 of the method, path and body."""

    sender = models.ForeignKey(
        "senders.Sender", on_delete=models.CASCADE, related_name="+", verbose_name=_("sender")
    )
    key = models.CharField(_("key"), max_length=200)
    request_hash = models.CharField(max_length=64)
    # NULL while the first request is still being answered.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["sender", "key"], name="idempotency_sender_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.sender_id})"
