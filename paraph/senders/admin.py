"""Senders in the back office (/backoffice/): the contact centre registers
an organisation and gives its staff access; keys and webhooks are read
here and managed by the sender itself (/sender/). Every change audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from paraph.accounts.models import Person
from paraph.audit.backoffice import AuditedModelAdmin
from paraph.core.belgium import enterprise_number_normalize
from paraph.core.context import Context
from paraph.core.sealing import seal
from paraph.senders.models import ApiKey, Sender, SenderMembership, WebhookDelivery, WebhookEndpoint
from paraph.senders.services import (
    api_key_revoke,
    sender_member_add,
    sender_member_remove,
    webhook_secret_generate,
)


class SenderForm(forms.ModelForm):
    # Typed as printed (BE 0403.170.701); stored as its ten digits.
    enterprise_number = forms.CharField(label=_("enterprise number"), max_length=20)

    class Meta:
        model = Sender
        fields = ["name", "enterprise_number", "contact_email", "language", "is_active"]

    def clean_enterprise_number(self) -> str:
        try:
            return enterprise_number_normalize(self.cleaned_data.get("enterprise_number", ""))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class MembershipInline(admin.TabularInline[SenderMembership, Sender]):
    model = SenderMembership
    extra = 1
    raw_id_fields = ["person"]
    fields = ["person", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Sender)
class SenderAdmin(AuditedModelAdmin[Sender]):
    form = SenderForm
    list_display = ["name", "enterprise_number_shown", "contact_email", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "enterprise_number", "contact_email"]
    inlines = [MembershipInline]
    audit_secret_fields = frozenset({"webhook_secret_sealed"})

    @admin.display(description=_("enterprise number"), ordering="enterprise_number")
    def enterprise_number_shown(self, obj: Sender) -> str:
        return obj.enterprise_number_display

    def save_model(self, request: HttpRequest, obj: Sender, form: Any, change: bool) -> None:
        if not change:
            obj.webhook_secret_sealed = seal({"secret": webhook_secret_generate()})
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Members are added, changed and removed by the senders' services,
        each with its audit event naming the agent, never by the inline's
        own saves."""
        if formset.model is not SenderMembership:
            super().save_formset(request, form, formset, change)
            return
        context = Context.from_request(request)
        actor = request.user if isinstance(request.user, Person) else None
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            sender_member_remove(membership=membership, actor=actor, context=context)
        for membership in memberships:
            if membership.pk:
                before = SenderMembership.objects.get(pk=membership.pk)
                if before.person_id != membership.person_id:
                    sender_member_remove(membership=before, actor=actor, context=context)
            sender_member_add(
                sender=form.instance,
                person=membership.person,
                role=membership.role,
                actor=actor,
                context=context,
            )


class ReadOnlyAdmin(AuditedModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "display_prefix", "sender", "scopes", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "sender__name"]
    list_select_related = ["sender"]
    exclude = ["secret_hash"]
    actions = ["revoke_keys"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for the revoke action; every field stays read-only.
        return bool(request.user.has_perm("senders.change_apikey"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in ApiKey._meta.fields if f.name != "secret_hash"]

    @admin.action(description=_("Revoke the selected keys"))
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(key=key, actor=request.user, context=Context.from_request(request))  # type: ignore[arg-type]
        messages.success(request, _("The keys were revoked."))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "sender", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "sender__name"]
    list_select_related = ["sender"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every delivery with its status, attempts and last error, read-only;
    requeued from the page of outgoing work (/backoffice/outgoing/, ADR 31)."""

    list_display = [
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "error",
        "next_attempt_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["event_id", "endpoint__url"]
    list_select_related = ["endpoint"]
    actions = None
    change_list_template = "operations/outgoing_link_change_list.html"
