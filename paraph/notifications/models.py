"""Messages Paraph sends: the delivery log, and the sandbox inboxes."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class SmsPurpose(models.TextChoices):
    """Why an SMS goes to a person's phone (RG-7: the phone serves log-in
    codes, and anything else only with the person's consent)."""

    LOGIN_CODE = "login_code", _("log-in code")
    PHONE_VERIFICATION = "phone_verification", _("phone number check")
    NOTIFICATION = "notification", _("notification")


class OutboundMessage(models.Model):
    """One e-mail or SMS, from the moment it is queued to its delivery.

    The context a message is rendered from is kept here only sealed
    (encrypted with a key derived from the secret key), and only until the
    message is sent or given up: the row alone is enough to send it again
    after a crash (ADR 22). Once delivered, a copy of what the
    person received is kept (subject and text body) so they can read it
    again, except for *secret* messages (one-time codes, link tokens),
    of which only the e-mail subject is kept."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("not delivered")

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    to = models.CharField(_("to"), max_length=254)
    template = models.CharField(_("template"), max_length=100)
    language = models.CharField(_("language"), max_length=2)
    secret = models.BooleanField(
        _("secret"),
        default=False,
        help_text=_("Carries a one-time code or a link token: its content is never kept."),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=SmsPurpose.choices, blank=True)
    interactive = models.BooleanField(
        _("a person waits for it"),
        default=False,
        help_text=_(
            "A log-in or verification code: sent from the interactive queue, ahead of bulk work."
        ),
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    sealed_context = models.TextField(blank=True, editable=False)
    # While "sending": until when the worker that claimed it holds it.
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        permissions = [("requeue_outboundmessage", _("Can requeue outgoing messages"))]
        indexes = [
            models.Index(fields=["person", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            # the metrics: the messages of the last day that ended in each status
            models.Index(fields=["status", "created_at"], name="message_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.to}: {self.template}"

    @property
    def headline(self) -> str:
        """What a list shows for this message: the e-mail subject, or the
        first line of a kept SMS; empty when nothing may be shown."""
        if self.subject:
            return self.subject
        first_line = self.body_text.strip().split("\n", 1)[0] if self.body_text else ""
        return first_line[:120]

    @property
    def message_id_header(self) -> str:
        """The e-mail's ``Message-ID``, the same for every attempt, so a
        copy sent again after a crash is recognisable as the same mail."""
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "paraph"
        stamp = self.created_at.strftime("%Y%m%d%H%M%S")
        return f"<paraph.{self.pk}.{stamp}@{domain}>"

    @property
    def when(self) -> dt.datetime:
        """When it left Paraph, or when it was queued if it has not yet."""
        return self.sent_at or self.created_at


class SandboxMessage(models.Model):
    """What the sandbox SMS gateway and the sandbox e-mail backend "delivered":
    shown on the sandbox inbox pages, never used in production."""

    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254, db_index=True)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sandbox message")
        verbose_name_plural = _("sandbox messages")

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}"
