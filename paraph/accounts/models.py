"""People: everyone who logs in to Paraph, staff included."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from paraph.core.belgium import national_number_format


class AssuranceLevel(models.TextChoices):
    """eIDAS levels of assurance reached at registration (itsme and eID:
    high; IDnow: substantial; back office or demo: low)."""

    NONE = "none", _("none")
    LOW = "low", _("low")
    SUBSTANTIAL = "substantial", _("substantial")
    HIGH = "high", _("high")


class RegistrationMethod(models.TextChoices):
    BACKOFFICE = "backoffice", _("created by the contact centre")
    DEMO = "demo", _("demo data")
    ITSME = "itsme", _("itsme")
    EID = "eid", _("eID card")
    IDNOW = "idnow", _("IDnow video identification")
    ADMINBOX = "adminbox", _("adminbox activation")


class Language(models.TextChoices):
    FR = "fr", "Français"
    NL = "nl", "Nederlands"
    DE = "de", "Deutsch"
    EN = "en", "English"


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> Person:
        return self.get(email__ciexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Person:
        person = self.model(email=self.normalize_email(email), **fields)
        if password:
            person.set_password(password)
        else:
            person.set_unusable_password()
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> Person:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class NotificationChannel(models.TextChoices):
    """How a person with an active adminbox hears of a new document (ES-9)."""

    EMAIL = "email", _("by e-mail")
    SMS = "sms", _("by SMS (with a short link)")


class Person(AbstractBaseUser, PermissionsMixin):
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    email_verified_at = models.DateTimeField(_("e-mail verified"), null=True, blank=True)
    phone = models.CharField(
        _("mobile phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +32470123456")
    )
    phone_verified_at = models.DateTimeField(_("phone verified"), null=True, blank=True)
    # NULL, not "", when unknown: the unique constraint must allow many unknowns.
    national_number = models.CharField(  # noqa: DJ001
        _("national register number"), max_length=11, null=True, blank=True
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FR
    )
    assurance_level = models.CharField(
        _("assurance level"),
        max_length=12,
        choices=AssuranceLevel.choices,
        default=AssuranceLevel.NONE,
    )
    registration_method = models.CharField(
        _("registered through"), max_length=12, choices=RegistrationMethod.choices, blank=True
    )
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    # RG-7: the phone serves log-in codes only, unless the person says otherwise.
    consent_phone_other_uses = models.BooleanField(
        _("phone may be used for other messages"), default=False
    )
    consent_phone_other_uses_at = models.DateTimeField(
        _("consent for other messages given"), null=True, blank=True
    )

    # ES-9: chosen in the adminbox's preferences (and when signing a mandate).
    notification_channel = models.CharField(
        _("new documents announced"),
        max_length=5,
        choices=NotificationChannel.choices,
        default=NotificationChannel.EMAIL,
    )

    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("created"), default=timezone.now)

    failed_login_count = models.PositiveIntegerField(_("failed log-in attempts"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Raised by "log out everywhere": every session carries the epoch it
    # started in (through the session auth hash) and dies when it changes.
    session_epoch = models.PositiveIntegerField(default=0)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_unique_ci"),
            models.UniqueConstraint(
                fields=["national_number"], name="person_national_number_unique"
            ),
            models.UniqueConstraint(
                fields=["phone"], condition=~models.Q(phone=""), name="person_phone_unique"
            ),
        ]
        # The partial unique index above serves only a query that repeats
        # its condition as a literal: SQLite binds ``phone = ?`` and cannot
        # use it, and read every person at each log-in by phone and each
        # contract sent. A plain index serves any look-up by phone.
        indexes = [models.Index(fields=["phone"], name="person_phone_idx")]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def national_number_display(self) -> str:
        return national_number_format(self.national_number) if self.national_number else ""

    def is_locked(self, now: Any = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())

    def get_session_auth_hash(self) -> str:
        """Django checks this on every request: a changed password or a raised
        session epoch ("log out everywhere") ends every existing session."""
        return salted_hmac(
            "paraph.accounts.Person.session",
            f"{self.password}:{self.session_epoch}",
            algorithm="sha256",
        ).hexdigest()


class CodePurpose(models.TextChoices):
    """What a one-time code proves; a code only ever works for its purpose."""

    LOGIN = "login", _("log-in")
    STAFF_LOGIN = "staff_login", _("back-office log-in")
    EMAIL_VERIFY = "email_verify", _("e-mail address verification")
    PHONE_VERIFY = "phone_verify", _("phone number verification")
    MANDATE_SIGN = "mandate_sign", _("mandate signature")


class CodeChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class OneTimeCode(models.Model):
    """One attempt to prove something with a code sent by SMS or e-mail.

    Nothing here lets anyone read the code back: the code, the destination
    and the attempt's binding token are kept as HMACs keyed with the secret
    key (``paraph.accounts.services.code_issue`` says why a fast keyed hash
    is the right tool). A row is one attempt: sending a new code for it
    replaces the code, so the previous one stops working.
    """

    purpose = models.CharField(_("purpose"), max_length=20, choices=CodePurpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=CodeChannel.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="one_time_codes",
    )
    destination_masked = models.CharField(_("sent to"), max_length=64)
    destination_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    # The attempt token lives in the session that asked for the code; only
    # its HMAC is here, so the code is useless without that session.
    binding_hash = models.CharField(max_length=64, unique=True)
    # A decoy stands in for an identifier that matches no account (LG-1):
    # it behaves like any attempt, but nothing is sent and no code matches.
    is_decoy = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    tries = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent"))
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=1)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.destination_masked}"


class LoginDecoy(models.Model):
    """Failed log-ins with an identifier that matches no account, counted
    like ``Person.failed_login_count`` so that an unknown identifier is
    locked out exactly like a real account (LG-1: never reveal whether an
    account exists). Keyed by the identifier's HMAC, never its value."""

    identifier_hash = models.CharField(max_length=64, unique=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("log-in decoy")
        verbose_name_plural = _("log-in decoys")

    def __str__(self) -> str:
        return f"decoy {self.identifier_hash[:12]}"

    def is_locked(self, now: Any = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())
