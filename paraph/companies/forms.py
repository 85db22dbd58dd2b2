from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CompanyNumberForm(forms.Form):
    """Step 1 of registering a company (CO-1): its enterprise number, in any
    form the KBO prints (checked by the service, which says what is wrong)."""

    number = forms.CharField(
        label=_("Enterprise number"),
        max_length=40,
        required=False,
        help_text=_("As on your company's documents, for example 0123.456.749 or BE 0123456749."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class CompanyConfirmForm(forms.Form):
    """Step 2: confirm, and say what is wrong in the data if anything (CO-2)."""

    number = forms.CharField(widget=forms.HiddenInput, max_length=40)
    correction = forms.CharField(
        label=_("Is any of this data wrong? Say what is wrong"),
        required=False,
        max_length=2000,
        help_text=_(
            "Leave empty if the data is right. Your registration goes on either way: "
            "your request goes to the people who can correct the data, and you are told "
            "what they decide."
        ),
        error_messages={
            "max_length": _("Write at most %(limit_value)d characters."),
        },
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class InvitationForm(forms.Form):
    """The representative invites a user (CO-3)."""

    email = forms.EmailField(
        label=_("E-mail address of the person"),
        max_length=254,
        error_messages={
            "required": _("Enter the e-mail address of the person to invite."),
            "invalid": _("Enter an e-mail address like name@example.be."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    national_number = forms.CharField(
        label=_("Their national register number (if you know it)"),
        required=False,
        max_length=20,
        help_text=_("Then only this person can accept the invitation."),
    )


class DesignationForm(forms.Form):
    """Step 3 of changing the digital representative (CO-5): who the new
    one is (checked by the service, which says what is wrong)."""

    name = forms.CharField(
        label=_("Name of the new digital representative"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.CharField(
        label=_("Their e-mail address"),
        max_length=254,
        required=False,
        help_text=_("We send them the link to accept there."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    national_number = forms.CharField(
        label=_("Their national register number"),
        max_length=20,
        required=False,
        help_text=_(
            "Only the person with this number, registered with itsme or the eID card, can accept."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
