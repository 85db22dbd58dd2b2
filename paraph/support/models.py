"""Support tickets: what people write through the contact form (SU-1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    LOGIN = "login", _("Logging in")
    COMPANY = "company", _("My company")
    CONTRACTS = "contracts", _("Contracts and signing")
    OTHER = "other", _("Something else")
    # Not offered on the contact form: the "interested? contact us" form
    # for organisations (ES-14) writes tickets with this topic.
    SALES = "sales", _("Using Paraph for my organisation")


class Queue(models.TextChoices):
    IDENTITY = "identity", _("Identity and log-in")
    COMPANIES = "companies", _("Companies")
    CONTRACTS = "contracts", _("Contracts")
    GENERAL = "general", _("General")
    SALES = "sales", _("Sales")


# Each topic reaches the team that can answer it (SU-1).
QUEUE_BY_TOPIC: dict[str, str] = {
    Topic.REGISTRATION: Queue.IDENTITY,
    Topic.LOGIN: Queue.IDENTITY,
    Topic.COMPANY: Queue.COMPANIES,
    Topic.CONTRACTS: Queue.CONTRACTS,
    Topic.OTHER: Queue.GENERAL,
    Topic.SALES: Queue.SALES,
}


class TicketStatus(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    CLOSED = "closed", _("closed")


class Ticket(models.Model):
    NAME_MAX = 150
    REFERENCE_MAX = 50
    MESSAGE_MAX = 5000

    number = models.CharField(_("ticket number"), max_length=20, unique=True)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    queue = models.CharField(_("queue"), max_length=20, choices=Queue.choices, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=TicketStatus.choices,
        default=TicketStatus.OPEN,
        db_index=True,
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    email = models.EmailField(_("e-mail address"), max_length=254)
    reference = models.CharField(_("reference"), max_length=REFERENCE_MAX, blank=True)
    message = models.TextField(_("message"), max_length=MESSAGE_MAX)
    language = models.CharField(_("language"), max_length=2)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged-in person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")

    def __str__(self) -> str:
        return self.number


class TicketSequence(models.Model):
    """The last ticket number given out in a year: one row per year, locked
    while a number is taken, so numbers stay unique and gap-free across
    processes (``T-2026-000123``)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket number sequence")
