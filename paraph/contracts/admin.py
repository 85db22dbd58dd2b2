"""Contracts in the back office: the contact centre reads a contract, its
history and its evidence to help a person or a sender; nothing here
changes a contract (the services of the sender and of the adminbox do)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from paraph.audit.backoffice import AuditedModelAdmin
from paraph.contracts.models import BulkBatch, Contract, ContractEvent


class ContractEventInline(admin.TabularInline[ContractEvent, Contract]):
    model = ContractEvent
    extra = 0
    can_delete = False
    fields = ("at", "name", "actor_label", "ip", "user_agent", "data")
    readonly_fields = ("at", "name", "actor_label", "ip", "user_agent", "data")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(AuditedModelAdmin[Contract]):
    list_display = [
        "created_at",
        "title",
        "sender",
        "recipient_email",
        "external_reference",
        "status",
        "deadline",
    ]
    list_filter = ["status", "sender", "signing_method"]
    search_fields = ["public_id", "recipient_email", "recipient_last_name", "external_reference"]
    list_select_related = ["sender"]
    date_hierarchy = "created_at"
    inlines = [ContractEventInline]
    exclude = ["recipient_national_number"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Contract._meta.fields if f.name != "recipient_national_number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BulkBatch)
class BulkBatchAdmin(AuditedModelAdmin[BulkBatch]):
    list_display = ["created_at", "sender", "source", "status", "processed", "total", "failed"]
    list_filter = ["status", "source"]
    list_select_related = ["sender"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in BulkBatch._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
