"""The mandate (ES-7, ES-8): what a person signs once a year so that Paraph
may sign documents in their name with their password-protected key.
The state machine is in docs/mandates.md; every change is a service in
:mod:`paraph.mandates.services`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MandateStatus(models.TextChoices):
    PENDING = "pending", _("waiting for your signature")
    SIGNED = "signed", _("signed, password not chosen yet")
    ACTIVE = "active", _("active")
    EXPIRED = "expired", _("expired")
    SUPERSEDED = "superseded", _("replaced by a newer mandate")
    REVOKED = "revoked", _("revoked")


# The states a mandate never leaves.
ENDED = frozenset({MandateStatus.EXPIRED, MandateStatus.SUPERSEDED, MandateStatus.REVOKED})
# The states of a mandate still being signed (at most one per person).
IN_PROGRESS = frozenset({MandateStatus.PENDING, MandateStatus.SIGNED})


class MandateSignMethod(models.TextChoices):
    EID = "eid", _("with the eID card")
    EMAIL_CODE = "email_code", _("with a code sent by e-mail")
    SMS_CODE = "sms_code", _("with a code sent by SMS")


def _upload_to(instance: Mandate, filename: str) -> str:
    return f"mandates/{instance.person_id}/{instance.public_id}/{filename}"


class Mandate(models.Model):
    """One mandate of one person. Its PDFs are in document storage like the
    contracts' (ADR 21), each with its SHA-256 in the row; a mandate and its
    files are written together or not at all."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MandateStatus.choices, default=MandateStatus.PENDING
    )
    language = models.CharField(_("language of the document"), max_length=2)
    renews = models.ForeignKey(
        "self",
        verbose_name=_("renews"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewals",
    )
    document_pdf = models.FileField(_("mandate (PDF)"), upload_to=_upload_to, max_length=300)
    document_sha256 = models.CharField(_("SHA-256 of the mandate"), max_length=64)
    signed_with = models.CharField(
        _("signed"), max_length=12, choices=MandateSignMethod.choices, blank=True
    )
    signed_pdf = models.FileField(
        _("signed mandate (PDF)"), upload_to=_upload_to, max_length=300, blank=True
    )
    signed_sha256 = models.CharField(_("SHA-256 of the signed mandate"), max_length=64, blank=True)
    evidence = models.JSONField(_("evidence of the signature"), default=dict, blank=True)
    notification_channel = models.CharField(_("notifications chosen"), max_length=5, blank=True)
    signing_key = models.ForeignKey(
        "signing.PersonSigningKey",
        verbose_name=_("signing key"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    reminder_30_sent_at = models.DateTimeField(_("30-day reminder sent"), null=True, blank=True)
    reminder_7_sent_at = models.DateTimeField(_("7-day reminder sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["-created_at", "-pk"]
        # The hourly housekeeping: active mandates by their end (ended,
        # reminded), without reading every mandate ever signed.
        indexes = [models.Index(fields=["status", "valid_until"], name="mandate_status_end_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="active"),
                name="mandate_one_active_per_person",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status__in=["pending", "signed"]),
                name="mandate_one_in_progress_per_person",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def is_current(self, now: object = None) -> bool:
        """Active and not past its end (the periodic expiry may lag)."""
        moment = now or timezone.now()
        return (
            self.status == MandateStatus.ACTIVE
            and self.valid_until is not None
            and self.valid_until > moment  # type: ignore[operator]
        )
