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
    LegalRepresentative,
    RegisteredCompany,
    RepresentativeChange,
)
from paraph.companies.services import (
    CompanyRefused,
    correction_decide,
    correction_may_decide,
    representative_designate,
    representative_designation_check,
    representative_withdraw,
)
from paraph.core.belgium import enterprise_number_normalize, national_number_normalize
from paraph.core.context import Context


class CompanyUserInline(admin.TabularInline[CompanyUser, RegisteredCompany]):
    """Who acts for the company; the representative manages them (CO-3)."""

    model = CompanyUser
    fields = ["person", "can_sign", "added_at"]
    readonly_fields = ["person", "can_sign", "added_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RepresentativeChangeInline(admin.TabularInline[RepresentativeChange, RegisteredCompany]):
    """The company's changes of digital representative (CO-5), newest first."""

    model = RepresentativeChange
    fk_name = "company"
    fields = ("created_at", "name", "basis", "designated_by", "status", "expires_at")
    readonly_fields = ("created_at", "name", "basis", "designated_by", "status", "expires_at")
    ordering = ["-created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RegisteredCompany)
class RegisteredCompanyAdmin(AuditedModelAdmin[RegisteredCompany]):
    inlines = [CompanyUserInline, RepresentativeChangeInline]
    list_display = ["name", "number", "representative", "registered_at"]
    search_fields = ["name", "number", "representative__email", "representative__last_name"]
    readonly_fields = ["number", "name", "representative", "registered_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A company is registered by its representative (CO-1).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IntermediaryClientForm(forms.ModelForm[IntermediaryClient]):
    # Typed as printed (BE 0123.456.749): stored as the ten digits a
    # correction request is matched on, never as typed (or cut to ten
    # characters by the field's length).
    number = forms.CharField(label=_("Enterprise number"), max_length=40)

    class Meta:
        model = IntermediaryClient
        fields = ["number"]

    def clean_number(self) -> str:
        try:
            return enterprise_number_normalize(self.cleaned_data.get("number", ""))
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class IntermediaryClientInline(admin.TabularInline[IntermediaryClient, Intermediary]):
    model = IntermediaryClient
    form = IntermediaryClientForm
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
        return correction_may_decide(staff=request.user, correction=obj)

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
                context=Context.from_request(request),
            )
        except CompanyRefused as refusal:
            self.message_user(request, refusal.message, level="error")
            return
        obj.status = decided.status

    def log_change(self, request: HttpRequest, obj: CorrectionRequest, message: Any) -> Any:
        # correction_decide wrote the audit event.
        self.log_history(request, obj, str(obj.get_status_display()))


# --- changing the digital representative (CO-5) -------------------------------


class LegalRepresentativeForm(forms.ModelForm[LegalRepresentative]):
    # Typed as printed (0123.456.749, 85.07.30-033.28): stored as digits.
    number = forms.CharField(label=_("Enterprise number"), max_length=40)
    national_number = forms.CharField(label=_("National register number"), max_length=20)

    class Meta:
        model = LegalRepresentative
        fields = ["number", "name", "national_number", "reason"]
        help_texts = {
            "reason": _(
                "Which document shows that this person represents the company (e.g. its "
                "publication in the Belgian Official Gazette, with its date)."
            )
        }

    def clean_number(self) -> str:
        try:
            return enterprise_number_normalize(self.cleaned_data.get("number", ""))
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def clean_national_number(self) -> str:
        try:
            return national_number_normalize(self.cleaned_data.get("national_number", ""))
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


@admin.register(LegalRepresentative)
class LegalRepresentativeAdmin(AuditedModelAdmin[LegalRepresentative]):
    """The contact centre records, after checking the company's documents,
    who legally represents a company: that person may then change its
    digital representative (CO-5). Every addition and removal is audited."""

    form = LegalRepresentativeForm
    list_display = ["name", "number", "recorded_by", "recorded_at"]
    search_fields = ["number", "name"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Recorded, or removed and recorded again: never edited in place.
        return obj is None and super().has_change_permission(request)

    def save_model(
        self, request: HttpRequest, obj: LegalRepresentative, form: Any, change: bool
    ) -> None:
        from django.utils import timezone

        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]
            obj.recorded_at = timezone.now()
        super().save_model(request, obj, form, change)


class DesignationForm(forms.ModelForm[RepresentativeChange]):
    """The contact centre designates a representative for a company without
    a reachable one, after checking the request; the service's checks run
    in ``clean`` so that a refusal shows beside the form."""

    number = forms.CharField(label=_("Enterprise number"), max_length=40)
    national_number = forms.CharField(label=_("National register number"), max_length=20)

    class Meta:
        model = RepresentativeChange
        fields = ["name", "email", "national_number", "reason"]
        help_texts = {
            "reason": _(
                "Why the contact centre designates (the representative cannot be reached) and "
                "what was checked. Kept in the audit log."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.request: HttpRequest | None = kwargs.pop("request", None)
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True

    def clean_national_number(self) -> str:
        # Typed as printed on the card (85.07.30-033.28): stored as 11 digits.
        try:
            return national_number_normalize(self.cleaned_data.get("national_number", ""))
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or self.request is None:
            return data
        try:
            representative_designation_check(
                person=self.request.user,
                number=data.get("number", ""),
                name=data.get("name", ""),
                email=data.get("email", ""),
                national_number=data.get("national_number", ""),
                reason=data.get("reason", ""),
                by_contact_centre=True,
            )
        except CompanyRefused as refusal:
            field = {"invalid": "number", "not_registered": "number"}.get(refusal.code)
            if refusal.code in ("name", "email", "national_number", "reason"):
                field = refusal.code
            self.add_error(field, refusal.message)
        return data


@admin.register(RepresentativeChange)
class RepresentativeChangeAdmin(AuditedModelAdmin[RepresentativeChange]):
    """Designations of a new digital representative: the contact centre
    sees them all, withdraws one, and designates for a company whose
    representative cannot be reached (with a written reason). The
    designation, its e-mail and its audit event are the service's."""

    list_display = ["company", "name", "email", "basis", "status", "created_at", "expires_at"]
    list_filter = ["status", "basis"]
    search_fields = ["company__name", "company__number", "name", "email"]
    list_select_related = ["company"]
    actions = ["withdraw"]
    readonly_fields = [
        "company",
        "basis",
        "designated_by",
        "previous_representative",
        "name",
        "email",
        "reason",
        "status",
        "created_at",
        "expires_at",
        "ended_at",
        "ended_by",
    ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = DesignationForm

        class WithRequest(form):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, request=request, **inner)

        return WithRequest

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["number", "name", "email", "national_number", "reason"]
        return self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: RepresentativeChange, form: Any, change: bool
    ) -> None:
        designated, _token = representative_designate(
            person=request.user,
            number=form.cleaned_data["number"],
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            national_number=form.cleaned_data["national_number"],
            reason=form.cleaned_data["reason"],
            by_contact_centre=True,
            context=Context.from_request(request),
        )
        obj.__dict__.update({k: v for k, v in designated.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False

    def log_addition(self, request: HttpRequest, obj: RepresentativeChange, message: Any) -> Any:
        # representative_designate wrote the audit event.
        return self.log_history(request, obj, str(_("Designated")))

    @admin.action(description=_("Withdraw the selected designations"))
    def withdraw(self, request: HttpRequest, queryset: Any) -> None:
        for change in queryset:
            try:
                representative_withdraw(
                    change_id=change.pk, person=request.user, context=Context.from_request(request)
                )
            except CompanyRefused as refusal:
                self.message_user(request, f"{change}: {refusal.message}", level="error")
            else:
                self.message_user(request, str(_("Withdrawn: %(change)s")) % {"change": change})
