"""Signing state that must outlive one request: prepared eID signatures
(between the two round trips) and people's password-protected keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PreparedEidSignature(models.Model):
    """A document prepared for a card signature, waiting for the card's
    value. Stored in the database so any web process can finish it; bound to
    one person and one document; usable once, until ``expires_at``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    document_ref = models.CharField(_("document"), max_length=200)
    document_sha256 = models.CharField(_("SHA-256 of the original document"), max_length=64)
    certificate = models.BinaryField(_("card signing certificate (DER)"))
    prepared_pdf = models.BinaryField(_("document with the signature placeholder"))
    document_digest = models.BinaryField()
    reserved_region_start = models.PositiveBigIntegerField()
    reserved_region_end = models.PositiveBigIntegerField()
    signed_attributes = models.BinaryField(_("CMS signed attributes (DER)"))
    digest_algorithm = models.CharField(max_length=16)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("prepared eID signature")
        verbose_name_plural = _("prepared eID signatures")
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"eID signature of {self.document_ref} ({self.pk})"


class RevocationReason(models.TextChoices):
    """Why a key's certificate is on the CRL (RFC 5280 CRLReason). Only a
    compromise revokes: a key that is merely replaced (renewal) or whose
    mandate ended is retired, and what it signed stays valid (ADR 12)."""

    KEY_COMPROMISE = "key_compromise", _("key or password compromised")


class PersonSigningKey(models.Model):
    """A person's signing key for password signatures under a mandate: the
    certificate from Paraph's signing CA, and the private key encrypted under
    a key derived from the person's password (argon2id; the parameters and
    salt are in ``kdf``). At most one active key per person; a retired key
    never signs again (its private key is erased), but its certificate stays
    good, so what it signed stays valid. Only a revoked key (compromised:
    ``revoked_at``) is on the signing CA's revocation list."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    mandate_ref = models.CharField(_("mandate"), max_length=200)
    certificate = models.BinaryField(_("certificate (DER)"))
    encrypted_private_key = models.BinaryField(_("encrypted private key"))
    kdf = models.JSONField(_("key derivation and cipher parameters"))
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("created at"))
    serial_number = models.CharField(
        _("certificate serial number (hex)"), max_length=64, blank=True, db_index=True
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("certificate revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("revocation reason"), max_length=32, choices=RevocationReason.choices, blank=True
    )
    failed_attempts = models.PositiveIntegerField(_("consecutive wrong passwords"), default=0)
    locked_until = models.DateTimeField(_("password signing locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("person's signing key")
        verbose_name_plural = _("people's signing keys")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(retired_at__isnull=True),
                name="signing_one_active_key_per_person",
            )
        ]
        # The CRL lists the revoked keys: a few among one key per person
        # who ever signed a mandate, found without reading them all.
        indexes = [
            models.Index(
                fields=["revoked_at"],
                condition=Q(revoked_at__isnull=False),
                name="signing_key_revoked_idx",
            )
        ]

    def __str__(self) -> str:
        return f"signing key {self.pk} of person {self.person_id}"


class SigningCrl(models.Model):
    """A certificate revocation list of Paraph's signing CA, as published at
    ``/pki/signing-ca.crl``: every retired person key, signed by the CA.
    A new one (with the next ``number``) replaces it when a key is retired,
    and before ``next_update``; the newest is the one served."""

    number = models.PositiveBigIntegerField(_("CRL number"), unique=True)
    this_update = models.DateTimeField(_("issued at"))
    next_update = models.DateTimeField(_("next update"))
    entries = models.PositiveIntegerField(_("revoked certificates"))
    der = models.BinaryField(_("CRL (DER)"))

    class Meta:
        verbose_name = _("signing CA revocation list")
        verbose_name_plural = _("signing CA revocation lists")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"CRL {self.number} of Paraph's signing CA"
