"""Identity and registration: how people proved who they are, the pending
registrations, and the customer file registrations are matched against.

Tables only; every write is a service in ``paraph.identity.services``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from paraph.core.moments import moment_stamp
from paraph.identity.matching import (
    address_key,
    foreign_postal_code_valid,
    postal_code_normalize,
    reference_normalize,
)


class IdentityMethod(models.TextChoices):
    """The ways of proving who one is (RG-1, RG-10)."""

    ITSME = "itsme", _("itsme")
    EID = "eid", _("eID card")
    IDNOW = "idnow", _("IDnow video identification")


class IdentityLink(models.Model):
    """A person's identity at one provider: the itsme ``sub`` (pairwise; it
    changes when the person re-creates their itsme account, and is then
    re-bound after a match on the national number), an eID authentication
    certificate's SHA-256 fingerprint (one link per card), an IDnow
    identification id."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="identity_links",
    )
    method = models.CharField(_("method"), max_length=12, choices=IdentityMethod.choices)
    subject = models.CharField(_("identifier at the provider"), max_length=255)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity link")
        verbose_name_plural = _("identity links")
        constraints = [
            models.UniqueConstraint(
                fields=["method", "subject"], name="identity_link_method_subject_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} → {self.person}"


class EidCertificate(models.Model):
    """An eID card's authentication certificate seen for a person (LG-5: a
    new card's certificate is recorded next to the old one, never instead)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="eid_certificates",
    )
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    serial_number = models.CharField(_("serial number"), max_length=80)
    issuer = models.CharField(_("issuer"), max_length=300)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    not_before = models.DateTimeField(_("valid from"), null=True, blank=True)
    not_after = models.DateTimeField(_("valid until"))
    certificate_der = models.BinaryField(_("certificate (DER)"), editable=False)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("eID certificate")
        verbose_name_plural = _("eID certificates")
        ordering = ["-first_seen_at"]

    def __str__(self) -> str:
        return f"{self.subject or self.serial_number} ({self.fingerprint[:16]}…)"


class RegistrationState(models.TextChoices):
    IDENTIFYING = "identifying", _("proving who they are")
    MATCHING = "matching", _("matching the customer file")
    PHONE = "phone", _("verifying the phone number")
    EMAIL = "email", _("verifying the e-mail address")
    # Not the "registered" of a date field ("enregistré le"): a state.
    DONE = "done", pgettext_lazy("registration state", "registered")
    BLOCKED = "blocked", _("sent to the contact centre")
    CANCELLED = "cancelled", _("cancelled")


class MatchKind(models.TextChoices):
    NATIONAL_NUMBER = "national_number", _("national register number")
    ADDRESS = "address", _("home address")
    REFERENCE = "reference", _("client reference")
    NEW_CUSTOMER = "new_customer", _("no customer record (new customer)")


class RegistrationAttempt(models.Model):
    """One registration in progress, bound to the browser session that
    started it (the session holds the id; the id alone is useless to
    anyone else). ``claims`` is what the provider proved, as JSON
    (:func:`paraph.identity.services.claims_to_json`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    method = models.CharField(_("method"), max_length=12, choices=IdentityMethod.choices)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=RegistrationState.choices,
        default=RegistrationState.IDENTIFYING,
    )
    claims = models.JSONField(_("identity claims"), default=dict, blank=True)
    # Copied out of the claims for look-ups (blocked retries, duplicates).
    subject = models.CharField(_("identifier at the provider"), max_length=255, blank=True)
    national_number = models.CharField(
        _("national register number"), max_length=11, blank=True, db_index=True
    )
    assurance = models.CharField(_("assurance level"), max_length=12, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True)

    match_tries = models.PositiveSmallIntegerField(_("failed matching tries"), default=0)
    match_kind = models.CharField(
        _("matched by"), max_length=16, choices=MatchKind.choices, blank=True
    )
    customer = models.ForeignKey(
        "identity.CustomerRecord",
        verbose_name=_("customer record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registration_attempts",
    )

    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    phone_verified_at = models.DateTimeField(_("phone verified"), null=True, blank=True)
    phone_consent = models.BooleanField(_("phone may be used for other messages"), default=False)
    email = models.EmailField(_("e-mail address"), max_length=254, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail verified"), null=True, blank=True)

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registration_attempts",
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("registration attempt")
        verbose_name_plural = _("registration attempts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} · {self.get_state_display()} · {moment_stamp(self.created_at)}"

    def is_expired(self, now: Any = None) -> bool:
        return self.expires_at <= (now or timezone.now())


class IdnowResult(models.TextChoices):
    """IDnow's result states, plus the two before any result."""

    CREATED = "CREATED", _("created")
    STARTED = "STARTED", _("started by the person")
    SUCCESS = "SUCCESS", _("success")
    SUCCESS_DATA_CHANGED = "SUCCESS_DATA_CHANGED", _("success, data corrected")
    REVIEW_PENDING = "REVIEW_PENDING", _("review pending")
    CHECK_PENDING = "CHECK_PENDING", _("check pending")
    FRAUD_SUSPICION_PENDING = "FRAUD_SUSPICION_PENDING", _("fraud suspicion pending")
    FRAUD_SUSPICION_CONFIRMED = "FRAUD_SUSPICION_CONFIRMED", _("fraud confirmed")
    CANCELED = "CANCELED", _("cancelled")
    ABORTED = "ABORTED", _("aborted")


IDNOW_SUCCESS = frozenset({IdnowResult.SUCCESS, IdnowResult.SUCCESS_DATA_CHANGED})
IDNOW_WAITING = frozenset(
    {
        IdnowResult.CREATED,
        IdnowResult.STARTED,
        IdnowResult.REVIEW_PENDING,
        IdnowResult.CHECK_PENDING,
        IdnowResult.FRAUD_SUSPICION_PENDING,
    }
)
IDNOW_FAILED = frozenset(
    {IdnowResult.FRAUD_SUSPICION_CONFIRMED, IdnowResult.CANCELED, IdnowResult.ABORTED}
)


class IdnowIdentification(models.Model):
    """One IDnow identification (RG-11 to RG-13), from its creation to its
    final result. ``result`` is IDnow's result JSON without images;
    ``document`` the identity document's data as checked (type, number,
    country, expiry, MRZ)."""

    transaction_number = models.CharField(_("transaction number"), max_length=64, unique=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="idnow_identifications",
    )
    registration_attempt = models.ForeignKey(
        RegistrationAttempt,
        verbose_name=_("registration attempt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="idnow_identifications",
    )
    country = models.CharField(_("document country"), max_length=2, blank=True)
    document_type = models.CharField(_("document type"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=32, choices=IdnowResult.choices, default=IdnowResult.CREATED
    )
    result = models.JSONField(_("result (without images)"), default=dict, blank=True)
    document = models.JSONField(_("document data"), default=dict, blank=True)
    sandbox = models.BooleanField(_("sandbox"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("IDnow identification")
        verbose_name_plural = _("IDnow identifications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.transaction_number} · {self.get_status_display()}"


class IdnowDocumentBlock(models.Model):
    """An identity document IDnow confirmed a fraud with (issue 14): a new
    identification with the same document is refused until staff lift the
    block. The document is known by a keyed hash of its country, type and
    number (``idnow_document_key``), never by its number."""

    document_key = models.CharField(_("document key (keyed hash)"), max_length=64, unique=True)
    country = models.CharField(_("document country"), max_length=2, blank=True)
    document_type = models.CharField(_("document type"), max_length=32, blank=True)
    identification = models.ForeignKey(
        IdnowIdentification,
        verbose_name=_("identification with the confirmed fraud"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("blocked"), default=timezone.now)
    refusals = models.PositiveIntegerField(_("identifications refused since"), default=0)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    class Meta:
        verbose_name = _("blocked identity document")
        verbose_name_plural = _("blocked identity documents")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.country} {self.document_type} · {moment_stamp(self.created_at)}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class CustomerRecord(models.Model):
    """One customer of the customer file (RG-2): imported from CSV by
    ``paraph import-customers`` and kept up to date in the back office.

    ``external_id`` is the file's own key, so an import run twice updates
    instead of duplicating. The national number is not unique: a file with
    two rows for one person makes a match on it ambiguous, and the person
    then confirms their address or client reference.
    """

    external_id = models.CharField(_("customer number"), max_length=64, unique=True)
    national_number = models.CharField(
        _("national register number"), max_length=11, blank=True, db_index=True
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    house_number = models.CharField(_("house number"), max_length=20, blank=True)
    box = models.CharField(_("box"), max_length=20, blank=True)
    postal_code = models.CharField(_("postcode"), max_length=10, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="BE")
    # Postcode, street, number and box after normalisation (matching.address_key),
    # refreshed on save; empty, and matched by nothing, without a street or number.
    address_key = models.CharField(max_length=300, blank=True, db_index=True, editable=False)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_records",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer record")
        verbose_name_plural = _("customer file")
        ordering = ["last_name", "first_name", "external_id"]

    def __str__(self) -> str:
        return f"{self.external_id} · {self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        from paraph.core.belgium import national_number_normalize

        if self.national_number:
            try:
                self.national_number = national_number_normalize(self.national_number)
            except ValidationError as exc:
                raise ValidationError({"national_number": exc}) from exc
        self.country = (self.country or "BE").strip().upper()
        if len(self.country) != 2 or not self.country.isascii() or not self.country.isalpha():
            raise ValidationError(
                {"country": _("Write the country as its two-letter ISO code, such as BE or NL.")}
            )
        if self.postal_code and self.country == "BE":
            if len(postal_code_normalize(self.postal_code)) != 4:
                raise ValidationError(
                    {"postal_code": _("A Belgian postcode has 4 digits, like 1000.")}
                )
            self.postal_code = postal_code_normalize(self.postal_code)
        elif self.postal_code and not foreign_postal_code_valid(self.country, self.postal_code):
            raise ValidationError(
                {"postal_code": _("This is not written as a postcode of this country.")}
            )

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A Belgian address only: an address abroad is compared field by
        # field (matching.foreign_address_matches), never by this key.
        self.address_key = (
            address_key(
                postal_code=self.postal_code,
                street=self.street,
                house_number=self.house_number,
                box=self.box,
            )
            if self.country.upper() == "BE"
            else ""
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "address_key"}
        super().save(*args, **kwargs)


class ClientReference(models.Model):
    """A client reference printed on a customer's documents (contract, file
    or policy number), as printed (``12/3456-789``) and as the digits the
    person may type instead (``123456789``, RG-4)."""

    customer = models.ForeignKey(
        CustomerRecord,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="references",
    )
    reference = models.CharField(_("client reference"), max_length=64)
    digits = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("client reference")
        verbose_name_plural = _("client references")

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        try:
            digits = reference_normalize(self.reference)
        except ValueError as exc:
            raise ValidationError({"reference": str(exc)}) from exc
        clash = ClientReference.objects.filter(digits=digits).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError(
                {"reference": _("This client reference belongs to another customer.")}
            )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.digits = reference_normalize(self.reference)
        super().save(*args, **kwargs)
