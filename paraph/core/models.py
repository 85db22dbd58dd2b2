"""Tables shared by every app: the rate-limit counters, the task workers'
heartbeats."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateLimitCounter(models.Model):
    """One fixed window of one rate limit (``paraph.core.ratelimit``, the
    "database" backend). The key is an HMAC of what is limited (a phone, an
    IP address), never the value itself; expired rows are pruned as new hits
    come in."""

    scope = models.CharField(_("scope"), max_length=64)
    key_hash = models.CharField(_("key hash"), max_length=64)
    count = models.PositiveIntegerField(_("hits"), default=0)
    window_start = models.DateTimeField(_("window start"))
    expires_at = models.DateTimeField(_("window end"), db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_hash"], name="ratelimit_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}: {self.count}"


class WorkerHeartbeat(models.Model):
    """A task worker's last sign of life, written by ``paraph worker`` every
    few seconds (``paraph.core.heartbeat``): ``/health/ready`` is red when no
    worker was seen recently. One row per worker process; rows of workers
    gone for a day are removed by the next beat."""

    name = models.CharField(_("worker"), max_length=200, unique=True)
    queues = models.CharField(_("queues"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started"))
    last_seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name
