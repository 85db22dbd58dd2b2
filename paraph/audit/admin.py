from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from paraph.audit.models import AuditCheckpoint, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Staff read the log; nobody writes it from here."""

    list_display = ["created_at", "name", "description", "actor_label", "subject_label", "ip"]
    list_filter = ["name"]
    search_fields = ["name", "actor_label", "subject_label", "subject_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields] + ["description"]

    @admin.display(description=_("what happened"))
    def description(self, obj: AuditEvent) -> str:
        return obj.description

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(admin.ModelAdmin[AuditCheckpoint]):
    """The sealed checkpoints of the log, read-only."""

    list_display = ["created_at", "size", "previous_size", "root", "sealed_at"]
    readonly_fields = ["created_at", "size", "root", "previous_size", "previous_root", "sealed_at"]
    exclude = ["statement", "seal", "leaves", "event_ids"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
