"""People's signing keys in the back office, read-only: the contact centre
sees whether password signing works for a person (valid until, locked,
retired) and can lift a lock after checking who is calling. Key material
(the encrypted private key, its derivation parameters, the certificate's
bytes) never appears here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from paraph.audit.backoffice import AuditedModelAdmin
from paraph.core.context import Context
from paraph.signing.models import PersonSigningKey
from paraph.signing.services import person_signing_key_unlock, signing_key_revoke

# What staff may see; everything else of the model is hidden.
SHOWN_FIELDS = [
    "person",
    "mandate_ref",
    "serial_number",
    "not_before",
    "not_after",
    "created_at",
    "failed_attempts",
    "locked_until",
    "retired_at",
    "revoked_at",
    "revocation_reason",
]


def _reason_field(*, label: Any, help_text: Any, missing: Any) -> forms.CharField:
    """The written reason a staff action keeps in the audit log."""
    return forms.CharField(
        label=label,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=help_text,
        error_messages={"required": missing},
    )


class UnlockForm(forms.Form):
    reason = _reason_field(
        label=_("Reason for unlocking"),
        help_text=_(
            "Required. Who asked, and how you checked who they are. It is kept in the audit log."
        ),
        missing=_("Write why password signing is unlocked."),
    )


class RevokeForm(forms.Form):
    reason = _reason_field(
        label=_("Why the key is compromised"),
        help_text=_(
            "Required. Who reported it, how you checked who they are, and what happened. "
            "It is kept in the audit log."
        ),
        missing=_("Write why the key is revoked."),
    )


class LockedNowFilter(admin.SimpleListFilter):
    title = _("password signing locked")
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Locked now"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=timezone.now(), retired_at__isnull=True)
        return queryset


@admin.register(PersonSigningKey)
class PersonSigningKeyAdmin(AuditedModelAdmin[PersonSigningKey]):
    list_display = [
        "person",
        "mandate_ref",
        "not_after",
        "failed_attempts",
        "locked_until",
        "retired_at",
    ]
    list_filter = [LockedNowFilter, "revocation_reason"]
    search_fields = [
        "person__first_name",
        "person__last_name",
        "person__email",
        "person__national_number",
        "mandate_ref",
        "serial_number",
    ]
    list_select_related = ["person"]
    fields = tuple(SHOWN_FIELDS)
    readonly_fields = tuple(SHOWN_FIELDS)
    actions = ["unlock_password_signing", "revoke_compromised"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonSigningKey]:
        # never even loaded into a staff member's request
        return (
            super()
            .get_queryset(request)
            .defer("encrypted_private_key", "kdf", "certificate")
            .select_related("person")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are issued when a mandate is activated

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a key is retired by its mandate, never deleted

    @admin.action(permissions=["change"], description=_("Unlock password signing"))
    def unlock_password_signing(
        self, request: HttpRequest, queryset: QuerySet[PersonSigningKey]
    ) -> HttpResponse | None:
        form = UnlockForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            unlocked = 0
            for key in queryset:
                if person_signing_key_unlock(
                    key=key,
                    actor=request.user,  # type: ignore[arg-type]
                    reason=form.cleaned_data["reason"],
                    context=Context.from_request(request),
                ):
                    self.log_history(request, key, gettext("Unlocked password signing."))
                    unlocked += 1
            self.message_user(
                request,
                ngettext(
                    "Password signing was unlocked for %(count)d key.",
                    "Password signing was unlocked for %(count)d keys.",
                    unlocked,
                )
                % {"count": unlocked},
                messages.SUCCESS if unlocked else messages.INFO,
            )
            return None
        return self._confirm(
            request,
            queryset,
            form,
            action="unlock_password_signing",
            title=gettext("Unlock password signing"),
            intro=gettext(
                "After a lock is lifted, the person may try their password again. "
                "Check who is calling first."
            ),
        )

    @admin.action(
        permissions=["change"], description=_("Revoke: the key or its password is compromised")
    )
    def revoke_compromised(
        self, request: HttpRequest, queryset: QuerySet[PersonSigningKey]
    ) -> HttpResponse | None:
        """Put the keys' certificates on the CRL (keyCompromise). Unlike a
        retirement, this makes every signature the key made invalid."""
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            revoked = 0
            for key in queryset.filter(revoked_at__isnull=True):
                signing_key_revoke(
                    key=key,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,  # type: ignore[arg-type]
                    context=Context.from_request(request),
                )
                self.log_history(request, key, gettext("Revoked: key compromised."))
                revoked += 1
            self.message_user(
                request,
                ngettext("%(count)d key was revoked.", "%(count)d keys were revoked.", revoked)
                % {"count": revoked},
                messages.SUCCESS if revoked else messages.INFO,
            )
            return None
        return self._confirm(
            request,
            queryset,
            form,
            action="revoke_compromised",
            title=gettext("Revoke: the key or its password is compromised"),
            intro=gettext(
                "Revoking a key tells every validator that it cannot be trusted: every "
                "signature it made becomes invalid, the ones before today too. Only do this "
                "when someone else may know the password or have the key. To stop password "
                "signing without that, the person revokes their mandate."
            ),
        )

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet[PersonSigningKey],
        form: forms.Form,
        *,
        action: str,
        title: str,
        intro: str,
    ) -> HttpResponse:
        """The page that asks for a written reason before ``action``."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "opts": self.opts,
            "form": form,
            "keys": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": action,
        }
        return TemplateResponse(request, "admin/signing/personsigningkey/confirm.html", context)
