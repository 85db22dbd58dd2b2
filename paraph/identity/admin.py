"""The customer file and people's identities in the back office.

Contact-centre agents keep the customer file up to date (a record and its
client references, every change audited through
:class:`~paraph.audit.backoffice.AuditedModelAdmin`); identity links, eID
certificates, registrations and IDnow identifications are read-only here:
they change only through their services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from paraph.audit.backoffice import CHANGES_ATTR, AuditedModelAdmin
from paraph.identity.idnow_services import idnow_outcome, idnow_refusal
from paraph.identity.models import (
    ClientReference,
    CustomerRecord,
    EidCertificate,
    IdentityLink,
    IdnowIdentification,
    RegistrationAttempt,
)


class ClientReferenceInline(admin.TabularInline[ClientReference, CustomerRecord]):
    model = ClientReference
    extra = 1
    fields = ("reference",)


class CustomerRecordForm(forms.ModelForm[CustomerRecord]):
    class Meta:
        model = CustomerRecord
        fields = (
            "external_id",
            "national_number",
            "first_name",
            "last_name",
            "birth_date",
            "street",
            "house_number",
            "box",
            "postal_code",
            "municipality",
            "country",
            "person",
        )


@admin.register(CustomerRecord)
class CustomerRecordAdmin(AuditedModelAdmin[CustomerRecord]):
    form = CustomerRecordForm
    inlines = [ClientReferenceInline]
    list_display = (
        "external_id",
        "last_name",
        "first_name",
        "postal_code",
        "municipality",
        "person",
    )
    search_fields = (
        "external_id",
        "last_name",
        "first_name",
        "national_number",
        "references__digits",
        "street",
    )
    list_filter = ("country",)
    raw_id_fields = ("person",)
    readonly_fields = ("created_at", "updated_at")

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Client references added, changed or deleted are part of the
        audited change, next to the record's own fields."""
        instances = formset.save(commit=False)
        added = [str(obj.reference) for obj in formset.new_objects]
        changed = [str(obj.reference) for obj, _fields in formset.changed_objects]
        deleted = [str(obj.reference) for obj in formset.deleted_objects]
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in instances:
            obj.save()
        formset.save_m2m()
        if added or changed or deleted:
            changes = getattr(form.instance, CHANGES_ATTR, None)
            if changes is not None:
                changes["references"] = {"added": added, "changed": changed, "deleted": deleted}


class ReadOnlyAdmin(AuditedModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IdentityLink)
class IdentityLinkAdmin(ReadOnlyAdmin):
    list_display = ("person", "method", "created_at", "last_used_at")
    list_filter = ("method",)
    search_fields = ("person__email", "person__last_name")
    fields = ("person", "method", "subject", "created_at", "last_used_at")


@admin.register(EidCertificate)
class EidCertificateAdmin(ReadOnlyAdmin):
    list_display = ("person", "subject", "not_after", "first_seen_at", "last_seen_at")
    search_fields = ("person__email", "person__last_name", "fingerprint", "serial_number")
    fields = (
        "person",
        "subject",
        "issuer",
        "serial_number",
        "fingerprint",
        "not_before",
        "not_after",
        "first_seen_at",
        "last_seen_at",
    )


@admin.register(RegistrationAttempt)
class RegistrationAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "method", "state", "name", "match_kind", "match_tries", "person")
    list_filter = ("state", "method", "match_kind")
    search_fields = ("national_number", "email", "person__email")
    # The claims stay out of sight: the person's page shows what is kept.
    readonly_fields = ("name",)
    fields = (
        "method",
        "state",
        "name",
        "match_kind",
        "match_tries",
        "customer",
        "national_number",
        "phone",
        "phone_verified_at",
        "email",
        "email_verified_at",
        "person",
        "created_at",
        "expires_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("person", "customer")

    @admin.display(description=_("name"))
    def name(self, obj: RegistrationAttempt) -> str:
        """Who tried, as their identification named them: a blocked attempt
        has no person yet, and the contact centre needs to know who calls."""
        if obj.person is not None:
            return obj.person.get_full_name()
        claims = obj.claims or {}
        return " ".join(
            str(claims.get(key) or "").strip() for key in ("given_name", "family_name")
        ).strip()


# What ``idnow_outcome`` says, in words.
IDNOW_OUTCOMES = {
    "waiting": _("waiting for the person"),
    "pending": _("being reviewed by IDnow"),
    "succeeded": _("identified"),
    "refused": _("refused by Paraph's document checks"),
    "failed": _("failed or cancelled at IDnow"),
}


@admin.register(IdnowIdentification)
class IdnowIdentificationAdmin(ReadOnlyAdmin):
    # Paraph's verdict first: IDnow's "success" on an expired document is a
    # refusal (issue 14); IDnow's own status stays beside it.
    list_display = (
        "transaction_number",
        "outcome",
        "status",
        "refusal",
        "person",
        "country",
        "created_at",
    )
    list_filter = ("status", "sandbox")
    search_fields = ("transaction_number", "person__email")
    readonly_fields = ("outcome", "refusal")
    fields = (
        "transaction_number",
        "outcome",
        "status",
        "refusal",
        "person",
        "registration_attempt",
        "country",
        "document_type",
        "document",
        "sandbox",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("outcome"))
    def outcome(self, obj: IdnowIdentification) -> str:
        return str(IDNOW_OUTCOMES[idnow_outcome(obj)])

    @admin.display(description=_("why refused"))
    def refusal(self, obj: IdnowIdentification) -> str:
        """For the contact centre: the refusal's code and, in the staff
        member's language, what the person was told; for a failure at IDnow,
        IDnow's own words (a cancellation's cause) after it."""
        outcome = idnow_outcome(obj)
        if outcome not in ("refused", "failed"):
            return ""
        code, message = idnow_refusal(obj)
        shown = f"{code}: {message}"
        if outcome == "failed":
            reason = str(
                ((obj.result or {}).get("identificationprocess") or {}).get("reason") or ""
            )
            if reason:
                shown += f" ({reason})"
        return shown
