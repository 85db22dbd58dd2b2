"""People in the back office, for contact-centre agents.

Agents find a person, read what they need to help them, create the account
of a person who asks for one, and make the few changes the contact centre
is responsible for (LG-3: a new e-mail address; a new phone number; lifting
a lock-out), each through its service, with a written reason, and each in
the audit log. Secrets (password hash, code
hashes, sessions) are never shown. Who may use the back office, and with
which permissions, only a superuser decides.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from paraph.accounts.models import Language, Person
from paraph.accounts.services import (
    CHANGE_REASON_MAX,
    person_change_email,
    person_change_phone,
    person_create,
    person_unlock,
)
from paraph.audit.backoffice import AuditedModelAdmin
from paraph.core.belgium import phone_normalize
from paraph.core.context import Context

_SEPARATORS = re.compile(r"[\s./\-]")


class LockedFilter(admin.SimpleListFilter):
    title = _("log-in locked")
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Locked now")), ("no", _("Not locked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "no":
            return queryset.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        return queryset


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for the change"),
        max_length=CHANGE_REASON_MAX,
        help_text=_(
            "Required. Who asked for the change, and how you checked who they are. "
            "It is kept in the audit log."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        error_messages={
            "required": _(
                "Write why this change is made (who asked, how you checked who they are)."
            )
        },
    )


class ChangeEmailForm(forms.Form):
    new_email = forms.EmailField(
        label=_("New e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": _("Enter the new e-mail address."),
            "invalid": _("Enter an e-mail address like name@example.be."),
        },
    )
    reason = _reason_field()


class ChangePhoneForm(forms.Form):
    new_phone = forms.CharField(
        label=_("New mobile phone number"),
        max_length=32,
        help_text=_("For example 0470 12 34 56 or +32 470 12 34 56."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={"required": _("Enter the new mobile phone number.")},
    )
    reason = _reason_field()

    def clean_new_phone(self) -> str:
        # Checked here too, so every mistake shows at once; the service
        # checks again and decides.
        return phone_normalize(self.cleaned_data["new_phone"])


class CreatePersonForm(forms.Form):
    """What the agent types; :func:`person_create` checks it all and shows
    every mistake at once, so the fields here only parse."""

    first_name = forms.CharField(
        label=_("First name"),
        required=False,
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off", "maxlength": 150}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        required=False,
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off", "maxlength": 150}),
    )
    email = forms.CharField(
        label=_("E-mail address"),
        required=False,
        widget=forms.EmailInput(attrs={"required": True, "autocomplete": "off", "maxlength": 254}),
    )
    phone = forms.CharField(
        label=_("Mobile phone number"),
        required=False,
        help_text=_(
            "For example 0470 12 34 56 or +32 470 12 34 56. It receives the log-in codes: "
            "check it with the person."
        ),
        widget=forms.TextInput(
            attrs={"type": "tel", "required": True, "autocomplete": "off", "maxlength": 32}
        ),
    )
    national_number = forms.CharField(
        label=_("National register number"),
        required=False,
        help_text=_("Optional. For example 85.07.30-033.28."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 32}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", "---------"), *Language.choices],
        help_text=_("The language of the person's pages, e-mails and SMS."),
        widget=forms.Select(attrs={"required": True}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        help_text=_(
            "Required. Who asked for the account, and how you checked who they are. "
            "It is kept in the audit log."
        ),
        widget=forms.Textarea(
            attrs={"rows": 4, "cols": 60, "required": True, "maxlength": CHANGE_REASON_MAX}
        ),
    )


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin[Person]):
    change_form_template = "admin/accounts/person/change_form.html"
    list_display = [
        "full_name",
        "email",
        "phone",
        "language",
        "assurance_level",
        "is_active",
        "locked",
        "is_staff",
    ]
    list_display_links = ["full_name", "email"]
    list_filter = [
        LockedFilter,
        "is_active",
        "language",
        "assurance_level",
        "registration_method",
        "is_staff",
    ]
    search_fields = ["first_name", "last_name", "email", "phone", "national_number"]
    search_help_text = _(
        "Name, e-mail address, phone (0470 12 34 56 works) or national register number."
    )
    ordering = ["last_name", "first_name", "pk"]
    actions = ["unlock_accounts"]
    # Never editable here: contact details change through their own pages
    # (reason, notification, audit); identity data comes from registration.
    readonly_fields = [
        "email",
        "email_verified_at",
        "phone",
        "phone_verified_at",
        "consent_phone_other_uses",
        "consent_phone_other_uses_at",
        "national_number_display",
        "assurance_level",
        "registration_method",
        "registered_at",
        "last_login",
        "failed_login_count",
        "locked_until",
        "date_joined",
    ]
    access_fields = ["is_staff", "is_superuser", "groups", "user_permissions"]
    filter_horizontal = ["groups", "user_permissions"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets: list[tuple[Any, dict[str, Any]]] = [
            (None, {"fields": ["first_name", "last_name", "language"]}),
            (
                _("Contact"),
                {
                    "fields": [
                        "email",
                        "email_verified_at",
                        "phone",
                        "phone_verified_at",
                        "consent_phone_other_uses",
                        "consent_phone_other_uses_at",
                    ]
                },
            ),
            (
                _("Identity"),
                {
                    "fields": [
                        "national_number_display",
                        "assurance_level",
                        "registration_method",
                        "registered_at",
                    ]
                },
            ),
            (
                _("Log-in"),
                {
                    "fields": [
                        "is_active",
                        "last_login",
                        "failed_login_count",
                        "locked_until",
                        "date_joined",
                    ]
                },
            ),
        ]
        # Who may use the back office is a superuser's decision: an agent
        # who could edit these could give themselves any permission.
        if request.user.is_superuser:
            fieldsets.append((_("Back office access"), {"fields": self.access_fields}))
        return fieldsets

    # has_add_permission is Django's: the user's ``accounts.add_person``
    # permission. Adding goes through add_view below, never the model form.

    @admin.display(boolean=True, description=_("locked"))
    def locked(self, obj: Person) -> bool:
        return obj.is_locked()

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: Person) -> str:
        return obj.full_name

    @admin.display(description=_("national register number"))
    def national_number_display(self, obj: Person) -> str:
        return obj.national_number_display

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        """Also find people by a national number or a phone number typed as
        printed (``85.07.30-033.28``, ``0470 12 34 56``)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        extra = Q()
        compact = _SEPARATORS.sub("", search_term)
        if compact.isdigit() and len(compact) == 11:
            extra |= Q(national_number=compact)
        if any(c.isdigit() for c in search_term):
            with contextlib.suppress(ValidationError):
                extra |= Q(phone=phone_normalize(search_term))
        if extra:
            results = results | queryset.filter(extra)
        return results, may_have_duplicates

    # --- Contact centre actions ------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/change-email/",
                wrap(self.change_email_view),
                name="{}_{}_change_email".format(*info),
            ),
            path(
                "<path:object_id>/change-phone/",
                wrap(self.change_phone_view),
                name="{}_{}_change_phone".format(*info),
            ),
            path(
                "<path:object_id>/unlock/",
                wrap(require_POST(self.unlock_view)),
                name="{}_{}_unlock".format(*info),
            ),
            *super().get_urls(),
        ]

    def _person_for_change(self, request: HttpRequest, object_id: str) -> Person | None:
        person = self.get_object(request, unquote(object_id))
        if person is not None and not self.has_change_permission(request, person):
            raise PermissionDenied
        return person

    def _missing(self, request: HttpRequest) -> HttpResponseRedirect:
        self.message_user(
            request, gettext("This person does not exist, or no longer exists."), messages.WARNING
        )
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                current_app=self.admin_site.name,
            )
        )

    def _change_page(self, person: Person) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[person.pk],
                current_app=self.admin_site.name,
            )
        )

    def _contact_change_view(
        self, request: HttpRequest, object_id: str, *, kind: str
    ) -> HttpResponse:
        person = self._person_for_change(request, object_id)
        if person is None:
            return self._missing(request)
        form_class = ChangeEmailForm if kind == "email" else ChangePhoneForm
        form = form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                if kind == "email":
                    person_change_email(
                        person=person,
                        new_email=form.cleaned_data["new_email"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,  # type: ignore[arg-type]
                        context=Context.from_request(request),
                    )
                    done = gettext(
                        "The e-mail address was changed. The person was told at the old "
                        "and at the new address."
                    )
                else:
                    person_change_phone(
                        person=person,
                        new_phone=form.cleaned_data["new_phone"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,  # type: ignore[arg-type]
                        context=Context.from_request(request),
                    )
                    done = gettext("The phone number was changed. The person was told by e-mail.")
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.log_history(request, person, done)
                self.message_user(request, done, messages.SUCCESS)
                return self._change_page(person)
        title = (
            gettext("Change the e-mail address of %(name)s")
            if kind == "email"
            else gettext("Change the phone number of %(name)s")
        ) % {"name": person}
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "original": person,
            "form": form,
            "kind": kind,
            "current": person.email if kind == "email" else person.phone,
            "has_view_permission": self.has_view_permission(request, person),
        }
        return TemplateResponse(request, "admin/accounts/person/contact_change.html", context)

    def change_email_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._contact_change_view(request, object_id, kind="email")

    def change_phone_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._contact_change_view(request, object_id, kind="phone")

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Create a person's account through :func:`person_create`, with a
        written reason; the person gets a welcome e-mail."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CreatePersonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                person = person_create(
                    **form.cleaned_data,
                    actor=request.user,  # type: ignore[arg-type]
                    context=Context.from_request(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                done = gettext(
                    "The account was created. The person was sent a welcome e-mail and can "
                    "log in with a code sent by SMS."
                )
                # History only: person_create wrote the audit event.
                admin.ModelAdmin.log_addition(self, request, person, done)
                self.message_user(request, done, messages.SUCCESS)
                return self._change_page(person)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Create a person's account"),
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/accounts/person/create.html", context)

    def unlock_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        person = self._person_for_change(request, object_id)
        if person is None:
            return self._missing(request)
        if person_unlock(person=person, actor=request.user, context=Context.from_request(request)):  # type: ignore[arg-type]
            done = gettext("The account was unlocked: the person can log in again.")
            self.log_history(request, person, done)
            self.message_user(request, done, messages.SUCCESS)
        else:
            self.message_user(request, gettext("This account was not locked."), messages.INFO)
        return self._change_page(person)

    @admin.action(permissions=["change"], description=_("Unlock the selected accounts"))
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        unlocked = 0
        for person in queryset:
            if person_unlock(
                person=person,
                actor=request.user,  # type: ignore[arg-type]
                context=Context.from_request(request),
            ):
                self.log_history(request, person, gettext("Unlocked the account."))
                unlocked += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d account was unlocked.", "%(count)d accounts were unlocked.", unlocked
            )
            % {"count": unlocked},
            messages.SUCCESS,
        )


# Groups decide what staff may do: changes to them are audited too.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedModelAdmin[Group], GroupAdmin):
    pass
