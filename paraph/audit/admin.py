"""The audit log in the back office, read-only. The log grows by millions of
events a day: its list never reads it whole (ADR 43). The whole log is
counted by the checkpoint sequencer, a filtered list up to 10,000 rows; the event names offered as filters are the catalogue's, the dates
fixed ranges (no list of the years the log covers)."""

from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from paraph.audit import registry
from paraph.audit.models import AuditCheckpoint, AuditEvent
from paraph.audit.selectors import audit_event_count


class _Events(Paginator):
    """Pages of the log: the whole log counted by the sequencer, a filtered
    list counted up to ``cap`` (``capped`` then says there are more)."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        if not self._filtered:
            return audit_event_count()
        return int(self.object_list.order_by()[: self.cap + 1].count())  # type: ignore[attr-defined]

    @property
    def capped(self) -> bool:
        return self._filtered and self.count > self.cap

    @property
    def _filtered(self) -> bool:
        return bool(self.object_list.query.where)  # type: ignore[attr-defined]


class _EventName(admin.SimpleListFilter):
    """The event names of the catalogue (not those read from the log)."""

    title = _("event")
    parameter_name = "name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in registry.names()]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent]
    ) -> QuerySet[AuditEvent]:
        return queryset.filter(name=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Staff read the log; nobody writes it from here."""

    list_display = ["created_at", "name", "description", "actor_label", "subject_label", "ip"]
    list_filter = [_EventName, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["name", "actor_label", "subject_label", "subject_id"]
    paginator = _Events
    # newest first by time: a date range is then read through the time's index
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
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
