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
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from paraph.audit.backoffice import CHANGES_ATTR, AuditedModelAdmin
from paraph.core.context import Context
from paraph.identity.models import (
    ClientReference,
    CustomerRecord,
    EidCertificate,
    IdentityLink,
    IdnowDocumentBlock,
    IdnowIdentification,
    RegistrationAttempt,
)
from paraph.identity.providers.idnow.services import (
    BlockNotLifted,
    idnow_document_block_lift,
    idnow_outcome,
    idnow_refusal,
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
        "country",
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


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for lifting the block"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Required. Who called, how you checked the person and the document, and why "
            "the fraud does not apply. It is kept in the audit log."
        ),
        error_messages={"required": _("Write why the block is lifted.")},
    )


class BlockStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("in force")), ("lifted", _("lifted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


@admin.register(IdnowDocumentBlock)
class IdnowDocumentBlockAdmin(AuditedModelAdmin[IdnowDocumentBlock]):
    """Documents IDnow confirmed a fraud with (issue 14): a new
    identification with one of them is refused. Staff see them and lift a
    block, with a written reason, after checking the person and the
    document; nothing else changes here."""

    list_display = (
        "created_at",
        "country",
        "document_type",
        "state",
        "refusals",
        "identification",
        "lifted_at",
        "lifted_by",
    )
    list_filter = (BlockStateFilter, "country")
    search_fields = ("identification__transaction_number",)
    readonly_fields = (
        "state",
        "country",
        "document_type",
        "identification",
        "created_at",
        "refusals",
        "lifted_at",
        "lifted_by",
        "lift_reason",
    )
    fields = readonly_fields
    actions = ["lift"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # laid by a confirmed fraud only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # lifted, never deleted: the history stays

    @admin.display(description=_("state"))
    def state(self, obj: IdnowDocumentBlock) -> str:
        return str(_("in force") if obj.active else _("lifted"))

    @admin.action(permissions=["change"], description=_("Lift the block"))
    def lift(
        self, request: HttpRequest, queryset: QuerySet[IdnowDocumentBlock]
    ) -> HttpResponse | None:
        form = LiftForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            lifted = 0
            for block in queryset.filter(lifted_at__isnull=True):
                try:
                    idnow_document_block_lift(
                        block=block,
                        reason=form.cleaned_data["reason"],
                        context=Context.from_request(request),
                    )
                except BlockNotLifted:
                    continue
                self.log_history(request, block, gettext("Lifted the block."))
                lifted += 1
            self.message_user(
                request,
                ngettext("%(count)d block was lifted.", "%(count)d blocks were lifted.", lifted)
                % {"count": lifted},
                messages.SUCCESS if lifted else messages.INFO,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Lift the block"),
            "intro": gettext(
                "Once the block is lifted, the document may be used again to register "
                "with IDnow. Check who is calling and their document first."
            ),
            "opts": self.opts,
            "form": form,
            "blocks": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "lift",
        }
        return TemplateResponse(request, "admin/identity/idnowdocumentblock/confirm.html", context)
