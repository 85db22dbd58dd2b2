"""Senders: the organisations that send contracts (a temporary-work agency,
an insurer), the people who work in their back office, their API keys and
their webhook endpoints with the log of every delivery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paraph.accounts.models import Language
from paraph.core.belgium import enterprise_number_format
from paraph.core.sealing import unseal


class Sender(models.Model):
    """An organisation that sends contracts. ``enterprise_number`` is the
    ten digits of its number in the Crossroads Bank for Enterprises (the
    VAT number without ``BE``). The webhook secret signs every webhook
    payload; it is kept sealed (encrypted with a key derived from the
    secret key), since Paraph must be able to use it again."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    enterprise_number = models.CharField(_("enterprise number"), max_length=10, unique=True)
    contact_email = models.EmailField(
        _("contact e-mail address"),
        help_text=_("Where Paraph tells the sender about contracts that were not signed."),
    )
    webhook_secret_sealed = models.TextField(_("webhook signing secret (sealed)"), editable=False)
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        default=Language.FR,
        help_text=_(
            "The language of the API's messages when a request does not ask for one "
            "(Accept-Language)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("sender")
        verbose_name_plural = _("senders")

    def __str__(self) -> str:
        return self.name

    @property
    def enterprise_number_display(self) -> str:
        return enterprise_number_format(self.enterprise_number)

    @property
    def webhook_secret(self) -> str:
        return str(unseal(self.webhook_secret_sealed)["secret"])


class SenderRole(models.TextChoices):
    """``admin`` manages API keys, webhooks and members; ``staff`` sends,
    follows and revokes contracts."""

    ADMIN = "admin", _("administrator")
    STAFF = "staff", _("staff")


class SenderMembership(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sender_memberships",
        verbose_name=_("person"),
    )
    sender = models.ForeignKey(
        Sender, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("sender")
    )
    role = models.CharField(
        _("role"), max_length=10, choices=SenderRole.choices, default=SenderRole.STAFF
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("sender membership")
        verbose_name_plural = _("sender memberships")
        constraints = [
            models.UniqueConstraint(fields=["person", "sender"], name="sender_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.sender} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == SenderRole.ADMIN


class ApiScope(models.TextChoices):
    CONTRACTS_READ = "contracts:read", _("read contracts")
    CONTRACTS_WRITE = "contracts:write", _("create, revoke and re-offer contracts")
    WEBHOOKS_MANAGE = "webhooks:manage", _("manage webhook endpoints")


class ApiKey(models.Model):
    """A key a sender's systems present as ``Authorization: Bearer <key>``.

    The key is ``paraph_<prefix>.<secret>``: the prefix (shown in lists,
    used to find the row) and a 256-bit secret, of which only an HMAC keyed
    with the secret key is stored (``paraph.senders.services.api_key_create``
    says why not argon2). The whole key is shown once, when it is made."""

    PREFIX_LENGTH = 8

    sender = models.ForeignKey(
        Sender, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("sender")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=32, unique=True)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"paraph_{self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class WebhookEvent(models.TextChoices):
    CONTRACT_SENT = "contract.sent", _("contract sent")
    CONTRACT_OPENED = "contract.opened", _("contract opened")
    CONTRACT_SIGNED = "contract.signed", _("contract signed")
    CONTRACT_REFUSED = "contract.refused", _("contract refused")
    CONTRACT_EXPIRED = "contract.expired", _("contract not signed in time")
    CONTRACT_REVOKED = "contract.revoked", _("contract revoked")


# Not subscribable: the test event a sender sends from the back office.
PING_EVENT = "ping"


class WebhookEndpoint(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(
        Sender, on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("sender")
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return self.is_active and (event == PING_EVENT or event in (self.events or []))


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    DELIVERING = "delivering", _("being sent")
    RETRYING = "retrying", _("failed, will be retried")
    SUCCEEDED = "succeeded", _("delivered")
    FAILED = "failed", _("failed, not retried")


class WebhookDelivery(models.Model):
    """One event for one endpoint, from its creation to its delivery (or to
    giving up after the last retry). ``body`` is the exact JSON sent, so a
    replay sends the same bytes (with a fresh signature and time stamp)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.CharField(_("event"), max_length=40)
    event_id = models.CharField(_("event id"), max_length=64, db_index=True)
    body = models.TextField(_("payload"))
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
        verbose_name=_("replay of"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        permissions = [("requeue_webhookdelivery", _("Can requeue webhook deliveries"))]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            # the metrics: the deliveries of the last day that ended in each status
            models.Index(fields=["status", "created_at"], name="delivery_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
