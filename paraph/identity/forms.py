"""Registration forms: what people type, turned into clean values or into
messages that say exactly what to fix."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from paraph.accounts.forms import CodeForm
from paraph.core.belgium import phone_normalize
from paraph.identity.matching import (
    POSTCODE_OPTIONAL,
    foreign_postal_code_valid,
    postal_code_normalize,
    reference_normalize,
)
from paraph.identity.providers.idnow.documents import accepted_documents

__all__ = [
    "AddressForm",
    "CodeForm",
    "EmailForm",
    "ForeignAddressForm",
    "PhoneForm",
    "ReferenceForm",
]


def _text(label: Any, max_length: int, *, required: bool = True, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        error_messages={
            "max_length": _("This is too long: at most %(limit_value)d characters."),
        },
        widget=forms.TextInput(attrs=attrs),
    )


class AddressForm(forms.Form):
    """The home address, as on the person's documents (RG-2)."""

    street = _text(_("Street"), 200, autocomplete="address-line1")
    house_number = _text(_("House number"), 20, autocomplete="off", inputmode="text")
    box = _text(_("Box (if any)"), 20, required=False, autocomplete="off")
    postal_code = _text(_("Postcode"), 10, autocomplete="postal-code", inputmode="numeric")
    municipality = _text(_("Municipality"), 100, autocomplete="address-level2")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["street"].error_messages["required"] = _("Enter your street.")
        self.fields["house_number"].error_messages["required"] = _("Enter your house number.")
        self.fields["postal_code"].error_messages["required"] = _("Enter your postcode.")
        self.fields["municipality"].error_messages["required"] = _("Enter your municipality.")
        self.fields["box"].help_text = _("For example: bus 3, bte 3, box 3 or just 3.")
        self.fields["municipality"].help_text = _("In French, Dutch or German, as you like.")

    def clean_postal_code(self) -> str:
        value = postal_code_normalize(self.cleaned_data["postal_code"])
        if len(value) != 4:
            raise ValidationError(_("A Belgian postcode has 4 digits, like 1000."), code="format")
        return value


def residence_countries() -> list[tuple[str, str]]:
    """The countries a person outside Belgium may live in, named in the
    page's language: those whose documents IDnow accepts (RG-12)."""
    language = (get_language() or "en")[:2]
    countries = [
        (country.code, country.name(language))
        for country in accepted_documents().countries
        if country.code != "BE"
    ]
    return sorted(countries, key=lambda item: item[1].casefold())


class ForeignAddressForm(forms.Form):
    """The home address of a person who does not live in Belgium (issue
    14): the country, the address lines as the country writes them, the
    postcode and the town. No box, no Belgian municipality."""

    country = forms.ChoiceField(
        label=_("Country"),
        error_messages={
            "required": _("Choose the country you live in."),
            "invalid_choice": _("Choose the country you live in from the list."),
        },
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    line1 = _text(_("Address"), 200, autocomplete="address-line1")
    line2 = _text(
        _("Address, second line (if any)"), 200, required=False, autocomplete="address-line2"
    )
    postal_code = _text(_("Postcode"), 12, required=False, autocomplete="postal-code")
    town = _text(_("Town or city"), 100, autocomplete="address-level2")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", "—"), *residence_countries()]
        self.fields["country"].help_text = _(
            "Your country is not in the list? Call the contact centre."
        )
        self.fields["line1"].error_messages["required"] = _("Enter your street and number.")
        self.fields["line1"].help_text = _(
            "As on your letters: street and house number, in the order of your country."
        )
        self.fields["town"].error_messages["required"] = _("Enter your town or city.")

    def clean_town(self) -> str:
        value: str = self.cleaned_data["town"]
        if not any(c.isalpha() for c in value):
            raise ValidationError(_("Enter the name of your town or city."), code="format")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country = data.get("country")
        postal_code = " ".join((data.get("postal_code") or "").upper().split())
        if country and "postal_code" in data:
            if not postal_code and country not in POSTCODE_OPTIONAL:
                self.add_error("postal_code", _("Enter your postcode."))
            elif not foreign_postal_code_valid(country, postal_code):
                self.add_error(
                    "postal_code",
                    ValidationError(
                        _("This is not written as a postcode of the country you chose."),
                        code="format",
                    ),
                )
            data["postal_code"] = postal_code
        return data


class ReferenceForm(forms.Form):
    reference = _text(
        _("Client reference"), 64, autocomplete="off", inputmode="numeric", spellcheck="false"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reference"].error_messages["required"] = _("Enter your client reference.")
        self.fields["reference"].help_text = _(
            "It is printed on your contracts, e-mails and payment notices, like 12/3456-789. "
            "You may type only the digits."
        )

    def clean_reference(self) -> str:
        value: str = self.cleaned_data["reference"]
        try:
            reference_normalize(value)
        except ValueError as exc:
            raise ValidationError(str(exc), code="format") from exc
        return value


class PhoneForm(forms.Form):
    """The mobile number for log-in codes, and the separate RG-7 consent."""

    phone = forms.CharField(
        label=_("Mobile phone number"),
        help_text=_("We send your log-in codes to it by SMS. For example 0470 12 34 56."),
        max_length=32,
        error_messages={
            "required": _("Enter your mobile phone number."),
            "max_length": _("This phone number is too long."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )
    consent_other_uses = forms.BooleanField(
        label=_(
            "Also use my number for other messages from Paraph (for example: a new document waits for me)."
        ),
        help_text=_(
            "Optional. Without it, your number only receives log-in and verification codes. "
            "You can change your mind later."
        ),
        required=False,
    )

    def clean_phone(self) -> str:
        return phone_normalize(self.cleaned_data["phone"])


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("Your own address: an e-mail address cannot be shared by two people."),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("This e-mail address is not valid. Example: name@example.be."),
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
