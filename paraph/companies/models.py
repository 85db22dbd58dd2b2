"""Companies as the Crossroads Bank for Enterprises (KBO/BCE) publishes them.

The tables mirror the open-data export (docs/companies.md): one row per
enterprise, establishment, name, address and code description. Every row
belongs to one *dataset*, the full import that loaded it; lookups read the
current dataset only, so a new full export loads beside the old one and
replaces it in one short transaction (ADR 17). Numbers are stored as their
ten digits, dates as dates; codes as the KBO gives them, described by
:class:`KboCode`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from paraph.core.belgium import enterprise_number_format


class KboImport(models.Model):
    """One run of ``paraph import-kbo``: a full export (a new dataset) or an
    update applied to the current dataset."""

    class Kind(models.TextChoices):
        FULL = "full"
        UPDATE = "update"

    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        # A full import whose dataset a newer full import replaced.
        REPLACED = "replaced"

    kind = models.CharField(max_length=6, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    # For an update: the full import whose dataset it changed.
    dataset = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="updates"
    )
    extract_number = models.PositiveIntegerField(null=True, blank=True)
    snapshot_date = models.DateField(null=True, blank=True)
    extract_timestamp = models.CharField(max_length=40, blank=True)
    version = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=500, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"KBO {self.kind} import {self.extract_number or '?'} ({self.status})"


class Company(models.Model):
    """An enterprise (enterprise.csv). The open data holds active
    enterprises only: a stopped or struck-off one is simply absent."""

    dataset = models.ForeignKey(
        KboImport, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    number = models.CharField(max_length=10)
    status = models.CharField(max_length=2)
    juridical_situation = models.CharField(max_length=3)
    type_of_enterprise = models.CharField(max_length=1)
    juridical_form = models.CharField(max_length=3, blank=True)
    juridical_form_cac = models.CharField(max_length=3, blank=True)
    start_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="companies_company_number")
        ]

    def __str__(self) -> str:
        return self.number


class Establishment(models.Model):
    """An establishment unit of an enterprise (establishment.csv)."""

    dataset = models.ForeignKey(
        KboImport, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    number = models.CharField(max_length=10)
    enterprise_number = models.CharField(max_length=10)
    start_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "number"], name="companies_establishment_number"
            )
        ]
        indexes = [models.Index(fields=["dataset", "enterprise_number"])]

    def __str__(self) -> str:
        return self.number


class Denomination(models.Model):
    """A name of an enterprise, establishment or branch (denomination.csv):
    ``language`` and ``kind`` are KBO codes (Language, TypeOfDenomination)."""

    dataset = models.ForeignKey(
        KboImport, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    entity_number = models.CharField(max_length=10)
    language = models.CharField(max_length=1)
    kind = models.CharField(max_length=3)
    name = models.CharField(max_length=320)

    class Meta:
        indexes = [models.Index(fields=["dataset", "entity_number"])]

    def __str__(self) -> str:
        return self.name


class Address(models.Model):
    """An address of an enterprise, establishment or branch (address.csv);
    ``kind`` is the KBO's TypeOfAddress (REGO: registered office)."""

    dataset = models.ForeignKey(
        KboImport, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    entity_number = models.CharField(max_length=10)
    kind = models.CharField(max_length=4)
    country_nl = models.CharField(max_length=100, blank=True)
    country_fr = models.CharField(max_length=100, blank=True)
    zipcode = models.CharField(max_length=20, blank=True)
    municipality_nl = models.CharField(max_length=200, blank=True)
    municipality_fr = models.CharField(max_length=200, blank=True)
    street_nl = models.CharField(max_length=200, blank=True)
    street_fr = models.CharField(max_length=200, blank=True)
    house_number = models.CharField(max_length=22, blank=True)
    box = models.CharField(max_length=20, blank=True)
    extra = models.CharField(max_length=80, blank=True)
    date_striking_off = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "addresses"
        indexes = [models.Index(fields=["dataset", "entity_number"])]

    def __str__(self) -> str:
        return f"{self.street_fr or self.street_nl} {self.house_number}, {self.zipcode}"


class KboCode(models.Model):
    """The description of a code in one language (code.csv), e.g. category
    JuridicalForm, code 014, FR: Société anonyme."""

    dataset = models.ForeignKey(
        KboImport, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    category = models.CharField(max_length=40)
    code = models.CharField(max_length=10)
    language = models.CharField(max_length=2)
    description = models.CharField(max_length=500)

    class Meta:
        indexes = [models.Index(fields=["dataset", "category", "code"])]

    def __str__(self) -> str:
        return f"{self.category} {self.code} {self.language}"


# --- companies registered on Paraph (CO-1 to CO-4) ---------------------------


class RegisteredCompany(models.Model):
    """A company registered on Paraph by its digital representative (CO-1).
    ``name`` is the registry's official name when it was registered."""

    number = models.CharField(_("enterprise number"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=320)
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="represented_companies",
        verbose_name=_("digital representative"),
    )
    registered_at = models.DateTimeField(_("registered"))

    class Meta:
        verbose_name = _("registered company")
        verbose_name_plural = _("registered companies")

    def __str__(self) -> str:
        return f"{self.name} ({enterprise_number_format(self.number)})"


class Intermediary(models.Model):
    """A broker organisation (CO-2): its staff handle the correction
    requests of the companies it serves, in the back office."""

    name = models.CharField(_("name"), max_length=200)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="intermediaries",
        verbose_name=_("staff members"),
    )

    class Meta:
        verbose_name = _("intermediary")
        verbose_name_plural = _("intermediaries")

    def __str__(self) -> str:
        return self.name


class IntermediaryClient(models.Model):
    """A company an intermediary serves, by enterprise number (it may serve
    it before the company registers on Paraph)."""

    intermediary = models.ForeignKey(Intermediary, on_delete=models.CASCADE, related_name="clients")
    number = models.CharField(_("enterprise number"), max_length=10, unique=True)

    class Meta:
        verbose_name = _("client company")
        verbose_name_plural = _("client companies")

    def __str__(self) -> str:
        return enterprise_number_format(self.number)


class CorrectionRequest(models.Model):
    """\"This data is wrong\" (CO-2): handled by the company's intermediary
    when it has one, otherwise by the contact centre."""

    class Status(models.TextChoices):
        # a context of their own: "refused" is also a contract's state, and
        # French and German agree them with another noun
        OPEN = "open", pgettext_lazy("correction request status", "open")
        APPLIED = "applied", pgettext_lazy("correction request status", "applied")
        REFUSED = "refused", pgettext_lazy("correction request status", "refused")

    company = models.ForeignKey(
        RegisteredCompany,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("company"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("filed by"),
    )
    intermediary = models.ForeignKey(
        Intermediary,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("intermediary"),
    )
    text = models.TextField(_("what is wrong"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    created_at = models.DateTimeField(_("filed"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.company} — {self.get_status_display()}"


class CompanyUser(models.Model):
    """A person who acts for a company besides its representative (CO-3);
    ``can_sign``: the representative lets them sign for it."""

    company = models.ForeignKey(RegisteredCompany, on_delete=models.CASCADE, related_name="users")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="company_roles"
    )
    can_sign = models.BooleanField(_("may sign for the company"), default=False)
    added_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("company user")
        verbose_name_plural = _("company users")
        constraints = [
            models.UniqueConstraint(fields=["company", "person"], name="companies_user_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.company}"


class CompanyInvitation(models.Model):
    """An invitation to become a company's user: its link is single use,
    expires, and is bound to the e-mail address it was sent to (and to the
    national number when the representative gave it). Only the token's
    hash is stored."""

    company = models.ForeignKey(
        RegisteredCompany, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    national_number = models.CharField(_("national register number"), max_length=11, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("company invitation")
        verbose_name_plural = _("company invitations")
        indexes = [models.Index(fields=["company", "email"])]

    def __str__(self) -> str:
        return f"{self.email} — {self.company}"


# --- changing the digital representative (CO-5) -------------------------------


class LegalRepresentative(models.Model):
    """A person the contact centre recorded as a legal representative of a
    company (a director, a manager: after checking the company's documents,
    e.g. its publication in the Belgian Official Gazette). Such a person may
    change the company's digital representative (CO-5). The KBO open data
    names no persons, so this is the only source the default registry has."""

    number = models.CharField(_("enterprise number"), max_length=10, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    national_number = models.CharField(_("national register number"), max_length=11)
    reason = models.TextField(_("what was checked"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("legal representative")
        verbose_name_plural = _("legal representatives")
        constraints = [
            models.UniqueConstraint(
                fields=["number", "national_number"], name="companies_legal_representative_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} — {enterprise_number_format(self.number)}"


class RepresentativeChange(models.Model):
    """A designation of a new digital representative (CO-5). It waits until
    the designated person (by e-mail address and national number) accepts,
    registered with itsme or the eID card; it can be withdrawn before and
    expires. At most one waits per company (the partial unique constraint:
    two changes at once, one wins). Only the token's hash is stored."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("representative change status", "waiting")
        ACCEPTED = "accepted", pgettext_lazy("representative change status", "accepted")
        WITHDRAWN = "withdrawn", pgettext_lazy("representative change status", "withdrawn")
        EXPIRED = "expired", pgettext_lazy("representative change status", "expired")

    class Basis(models.TextChoices):
        """Why the person who designated may do it."""

        REPRESENTATIVE = "representative", _("the current digital representative")
        REGISTRY = "registry", _("a legal representative in the company register")
        RECORDED = "recorded", _("a legal representative recorded by the contact centre")
        CONTACT_CENTRE = "contact_centre", _("the contact centre")

    company = models.ForeignKey(
        RegisteredCompany,
        on_delete=models.PROTECT,
        related_name="representative_changes",
        verbose_name=_("company"),
    )
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("designated by"),
    )
    basis = models.CharField(_("as"), max_length=14, choices=Basis.choices)
    reason = models.TextField(_("reason"), blank=True)
    previous_representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("previous digital representative"),
    )
    name = models.CharField(_("name of the new representative"), max_length=200)
    email = models.EmailField(_("e-mail address"))
    national_number = models.CharField(_("national register number"), max_length=11)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("designated"))
    expires_at = models.DateTimeField(_("expires"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("accepted or withdrawn by"),
    )

    class Meta:
        verbose_name = _("change of digital representative")
        verbose_name_plural = _("changes of digital representative")
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(status="pending"),
                name="companies_one_pending_representative_change",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} → {self.name}"
