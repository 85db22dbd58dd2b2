"""The adminbox's forms. The mobile phone and the code reuse the forms of
registration and log-in, so they read and check alike everywhere."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from paraph.accounts.models import NotificationChannel
from paraph.contracts.models import ContractStatus
from paraph.identity.forms import PhoneForm

REASON_MAX = 1000


class ActivationPhoneForm(PhoneForm):
    """The mobile phone that will receive the log-in codes, with the RG-7
    consent; the number the sender gave comes pre-filled."""


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you refuse? (optional)"),
        help_text=_("The sender reads it. Leave it empty if you prefer."),
        required=False,
        max_length=REASON_MAX,
        error_messages={"max_length": _("Write at most %(limit_value)d characters.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NotificationForm(forms.Form):
    notification_channel = forms.ChoiceField(
        label=_("When a new document waits in my adminbox, tell me"),
        choices=NotificationChannel.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose e-mail or SMS."),
            "invalid_choice": _("Choose e-mail or SMS."),
        },
    )


class DocumentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))],
    )
    q = forms.CharField(label=_("Title or sender"), required=False, max_length=100)

    def __init__(self, *args: object, statuses: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["status"].choices = [("", _("All"))] + [  # type: ignore[attr-defined]
            (value, ContractStatus(value).label) for value in statuses
        ]
