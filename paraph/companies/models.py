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

from django.db import models


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
