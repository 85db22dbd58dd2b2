"""Outgoing messages in the back office (/backoffice/): every e-mail and SMS
with its status, attempts and last error, and a "requeue" action for those
given up or stuck, for staff allowed to (the Operators group, ADR 25)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from paraph.core.outbox import Requeue
from paraph.notifications.models import OutboundMessage
from paraph.notifications.services import message_requeue


def requeue_report(request: HttpRequest, outcomes: Counter[str]) -> None:
    """Tell the staff member what a requeue did, one line per outcome."""
    for outcome, count in sorted(outcomes.items()):
        level = messages.SUCCESS if outcome in (Requeue.REQUEUED, Requeue.WOKEN) else messages.INFO
        if outcome == Requeue.REFUSED:
            level = messages.WARNING
        messages.add_message(request, level, f"{Requeue(outcome).label}: {count}")


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
    actions = ["requeue"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in OutboundMessage._meta.fields if f.name != "sealed_context"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("notifications.requeue_outboundmessage"))

    @admin.action(
        description=_("Requeue the selected messages (given up or stuck)"), permissions=["requeue"]
    )
    def requeue(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        outcomes: Counter[str] = Counter(
            message_requeue(message_id=pk, actor=request.user)
            for pk in queryset.values_list("pk", flat=True)
        )
        requeue_report(request, outcomes)
