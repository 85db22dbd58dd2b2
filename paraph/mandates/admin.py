"""People's mandates in the back office, read-only: the contact centre sees
a person's mandate (status, period, how it was signed) without the
documents' bytes. Changes go through the person's own pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from paraph.mandates.models import Mandate


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    list_display = ("reference", "person", "status", "signed_with", "valid_from", "valid_until")
    list_filter = ("status", "signed_with")
    search_fields = ("reference", "person__email", "person__last_name")
    fields = (
        "reference",
        "person",
        "status",
        "signed_with",
        "document_sha256",
        "signed_sha256",
        "evidence",
        "notification_channel",
        "valid_from",
        "valid_until",
        "created_at",
        "signed_at",
        "activated_at",
        "ended_at",
        "reminder_30_sent_at",
        "reminder_7_sent_at",
        "renews",
    )
    readonly_fields = fields
    list_select_related = ("person",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
