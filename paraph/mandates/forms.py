"""The forms of the mandate and password-signing pages: they parse what
was typed; the rules themselves are in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from paraph.accounts.models import CodeChannel, NotificationChannel
from paraph.contracts.models import Contract

EID = "eid"  # the mandate signed with the eID card rather than a code


class ChannelForm(forms.Form):
    """How the code that signs the mandate is sent (the person's choice,
    among their verified address and phone)."""

    channel = forms.ChoiceField(
        label=_("Send me the code"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how to receive the code.")},
    )

    def __init__(self, *args: Any, channels: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels: dict[str, Any] = {
            CodeChannel.SMS: _("By SMS to my mobile phone"),
            CodeChannel.EMAIL: _("By e-mail to my address"),
            EID: _("With my eID card (card reader and PIN code), instead of a code"),
        }
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            (c, labels[c]) for c in channels
        ]
        if channels:
            self.fields["channel"].initial = channels[0]


class PasswordInput(forms.PasswordInput):
    """A password field that never comes back filled in."""

    def __init__(self, *, autocomplete: str, extra: dict[str, str] | None = None) -> None:
        attrs = {"autocomplete": autocomplete, "spellcheck": "false", "autocapitalize": "none"}
        attrs.update(extra or {})
        super().__init__(attrs=attrs, render_value=False)


class ActivateForm(forms.Form):
    """The notification preference and the signing password, twice."""

    notification_channel = forms.ChoiceField(
        label=_("Tell me about a new contract"),
        choices=NotificationChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how to be told.")},
    )
    password = forms.CharField(
        label=_("Your signing password"),
        help_text=_(
            "At least 12 characters. A few unrelated words make a strong password that is "
            "easy to remember. Do not use a password you use elsewhere."
        ),
        strip=False,
        max_length=200,
        error_messages={"required": _("Choose a password.")},
        widget=PasswordInput(
            autocomplete="new-password",
            extra={"data-strength-meter": "password-strength", "minlength": "12"},
        ),
    )
    password_confirm = forms.CharField(
        label=_("The same password again"),
        strip=False,
        max_length=200,
        error_messages={"required": _("Type your password again to confirm the mandate.")},
        widget=PasswordInput(autocomplete="new-password"),
    )


class SignPasswordForm(forms.Form):
    """ES-10: the person has read the contract and signs with the password."""

    has_read = forms.BooleanField(
        label=_("I have read the contract and I sign it."),
        error_messages={"required": _("Read the contract first, then tick this box.")},
    )
    password = forms.CharField(
        label=_("Your signing password"),
        strip=False,
        max_length=200,
        error_messages={"required": _("Type your signing password.")},
        widget=PasswordInput(autocomplete="current-password"),
    )


class BatchForm(forms.Form):
    """Several of the person's waiting contracts, one password."""

    contracts = forms.ModelMultipleChoiceField(
        label=_("Contracts to sign"),
        queryset=Contract.objects.none(),
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one contract."),
            "invalid_choice": _("One of these contracts can no longer be signed here."),
            "invalid_pk_value": _("One of these contracts can no longer be signed here."),
        },
    )
    has_read = forms.BooleanField(
        label=_("I have read each of these contracts and I sign them."),
        error_messages={"required": _("Read the contracts first, then tick this box.")},
    )
    password = forms.CharField(
        label=_("Your signing password"),
        strip=False,
        max_length=200,
        error_messages={"required": _("Type your signing password.")},
        widget=PasswordInput(autocomplete="current-password"),
    )

    def __init__(self, *args: Any, waiting: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contracts"]
        field.queryset = waiting  # type: ignore[attr-defined]
        field.label_from_instance = lambda c: f"{c.title} — {c.sender.name}"  # type: ignore[attr-defined]
