"""Support tickets in the back office: agents triage and follow them up."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from paraph.audit.backoffice import AuditedModelAdmin
from paraph.support.models import Ticket


@admin.register(Ticket)
class TicketAdmin(AuditedModelAdmin[Ticket]):
    """Agents change a ticket's status, queue and assignee; what the person
    wrote stays as they wrote it. Every change is audited."""

    list_display = ["number", "created_at", "topic", "queue", "status", "assignee", "name", "email"]
    list_filter = ["queue", "status", "topic", ("assignee", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "name", "email", "reference"]
    date_hierarchy = "created_at"
    list_select_related = ["assignee"]
    fieldsets = [
        (None, {"fields": ["number", "created_at", "updated_at", "status", "queue", "assignee"]}),
        (
            _("What the person wrote"),
            {"fields": ["topic", "name", "email", "reference", "language", "person", "message"]},
        ),
    ]
    readonly_fields = [
        "number",
        "created_at",
        "updated_at",
        "topic",
        "name",
        "email",
        "reference",
        "language",
        "person",
        "message",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tickets come from the contact form (and later the sales form).
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("assignee", "person")
