"""What the API must remember between requests: idempotency keys."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """The first answer to a creation request that carried an
    ``Idempotency-Key`` header, kept 24 hours: the same key with the same
    body gets the same answer again, never a second contract.
    ``request_hash`` is the SHA-256 of the method, path and body.

    While the first request is being answered, its process holds the key
    until ``lease_until``; if it died, the next request with the key takes
    over after that. ``resource_type`` and ``resource_id`` name what the
    first request created, written in the creation's own transaction: a
    request that takes over answers with it instead of creating it again."""

    sender = models.ForeignKey(
        "senders.Sender", on_delete=models.CASCADE, related_name="+", verbose_name=_("sender")
    )
    key = models.CharField(_("key"), max_length=200)
    request_hash = models.CharField(max_length=64)
    # NULL while the first request is still being answered.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    resource_type = models.CharField(max_length=100, blank=True)
    resource_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["sender", "key"], name="idempotency_sender_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.sender_id})"
