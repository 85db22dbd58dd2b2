"""Companies in the back office (CO-2): the registered companies, the
intermediaries (brokers, managed by a superuser: their staff get
back-office access) and the correction requests, which the contact centre
or the company's intermediary applies or refuses with a reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from paraph.audit.backoffice import AuditedModelAdmin
from paraph.companies.models import (
    CompanyUser,
    CorrectionRequest,
    Intermediary,
    IntermediaryClient,
    RegisteredCompany,
)
from paraph.companies.services import CompanyRefused, correction_decide, correction_may_decide


class CompanyUserInline(admin.TabularInline[CompanyUser, RegisteredCompany]):
    """Who acts for the company; the representative manages them (CO-3)."""

    model = CompanyUser
    fields = ["person", "can_sign", "added_at"]
    readonly_fields = ["person", "can_sign", "added_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RegisteredCompany)
class RegisteredCompanyAdmin(AuditedModelAdmin[RegisteredCompany]):
    inlines = [CompanyUserInline]
    list_display = ["name", "number", "representative", "registered_at"]
    search_fields = ["name", "number", "representative__email", "representative__last_name"]
    readonly_fields = ["number", "name", "representative", "registered_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A company is registered by its representative (CO-1).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IntermediaryClientInline(admin.TabularInline[IntermediaryClient, Intermediary]):
    model = IntermediaryClient
    extra = 1


@admin.register(Intermediary)
class IntermediaryAdmin(AuditedModelAdmin[Intermediary]):
    list_display = ["name"]
    search_fields = ["name", "clients__number"]
    filter_horizontal = ["staff"]
    inlines = [IntermediaryClientInline]


class DecisionForm(forms.ModelForm[CorrectionRequest]):
    decision = forms.ChoiceField(
        label=_("Decision"),
        required=False,
        choices=[("", "—"), ("apply", _("Apply the correction")), ("refuse", _("Refuse"))],
    )
    decision_reason = forms.CharField(
        label=_("Reason, sent to the representative"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = CorrectionRequest
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") and not (data.get("decision_reason") or "").strip():
            self.add_error("decision_reason", _("Give the reason for your decision."))
        return data


def _intermediary_ids(request: HttpRequest) -> list[int]:
    user: Any = request.user
    return list(user.intermediaries.values_list("pk", flat=True)) if user.is_authenticated else []


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(AuditedModelAdmin[CorrectionRequest]):
    """The contact centre sees every request and decides those of companies
    without an intermediary; an intermediary's staff see and decide their
    clients' requests only. The decision is the service's (audited, the
    representative told)."""

    form = DecisionForm
    list_display = ["company", "created_at", "status", "intermediary", "filed_by"]
    list_filter = ["status", ("intermediary", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["company__name", "company__number"]
    list_select_related = ["company", "intermediary", "filed_by"]
    readonly_fields = [
        "company",
        "filed_by",
        "intermediary",
        "text",
        "created_at",
        "status",
        "reason",
        "decided_by",
        "decided_at",
    ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is not None and obj.status == CorrectionRequest.Status.OPEN:
            fields += ["decision", "decision_reason"]
        return fields

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request)
        if request.user.has_perm("companies.view_correctionrequest"):
            return queryset
        return queryset.filter(intermediary_id__in=_intermediary_ids(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or bool(_intermediary_ids(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().has_view_permission(request, obj):
            return True
        ids = _intermediary_ids(request)
        return bool(ids) and (obj is None or obj.intermediary_id in ids)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return super().has_change_permission(request) or bool(_intermediary_ids(request))
        return correction_may_decide(staff=request.user, request=obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: CorrectionRequest, form: Any, change: bool
    ) -> None:
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        try:
            decided = correction_decide(
                request_id=obj.pk,
                staff=request.user,
                apply=decision == "apply",
                reason=form.cleaned_data.get("decision_reason", ""),
            )
        except CompanyRefused as refusal:
            self.message_user(request, refusal.message, level="error")
            return
        obj.status = decided.status

    def log_change(self, request: HttpRequest, obj: CorrectionRequest, message: Any) -> Any:
        # correction_decide wrote the audit event.
        self.log_history(request, obj, str(obj.get_status_display()))
