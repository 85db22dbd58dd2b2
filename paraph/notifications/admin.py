"""Outgoing messages in the back office (/backoffice/): every e-mail and SMS
with its status, attempts and last error, read-only. They are requeued from
the page of outgoing work (/backoffice/outgoing/, ADR 31), which shows them
with the webhook deliveries."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from paraph.notifications.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin[OutboundMessage]):
    list_display = [
        "created_at",
        "channel",
        "to",
        "template",
        "interactive",
        "status",
        "attempts",
        "error",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "interactive"]
    search_fields = ["to", "template"]
    date_hierarchy = "created_at"
    exclude = ["sealed_context"]
    # Requeue from the page of outgoing work (/backoffice/outgoing/), which
    # lists messages and webhook deliveries together.
    actions = None
    change_list_template = "operations/outgoing_link_change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in OutboundMessage._meta.fields if f.name != "sealed_context"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
