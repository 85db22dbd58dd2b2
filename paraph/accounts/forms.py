"""Log-in forms: they turn what people type into clean values, or into
messages that say exactly what to fix."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from paraph.accounts.hashing import code_normalize
from paraph.accounts.services import LoginIdentifier
from paraph.core.belgium import phone_normalize

IDENTIFIER_MAX = 254
_DIGITS = re.compile(r"[0-9]+")
_LETTERS = re.compile(r"[^\W\d_]")


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Mobile phone number or e-mail address"),
        help_text=_("For example 0470 12 34 56 or name@example.be"),
        max_length=IDENTIFIER_MAX,
        error_messages={
            "required": _("Enter your mobile phone number or your e-mail address."),
            "max_length": _(
                "This is too long: a phone number or an e-mail address has at most "
                "%(limit_value)d characters."
            ),
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def clean_identifier(self) -> LoginIdentifier:
        value: str = self.cleaned_data["identifier"]
        if "@" in value:
            try:
                validate_email(value)
            except ValidationError as exc:
                raise ValidationError(
                    _("This e-mail address is not valid. Example: name@example.be."),
                    code="invalid_email",
                ) from exc
            return LoginIdentifier(kind="email", value=value.lower())
        if _LETTERS.search(value):
            raise ValidationError(
                _(
                    "Enter a mobile phone number (0470 12 34 56) or an e-mail address "
                    "(name@example.be)."
                ),
                code="invalid",
            )
        return LoginIdentifier(kind="phone", value=phone_normalize(value))


class CodeInput(forms.TextInput):
    """A code field that comes back empty after a refusal: a wrong code is
    retyped, not edited."""

    def format_value(self, value: Any) -> str | None:
        return None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        error_messages={
            "required": _("Enter the code you received."),
            "max_length": _("This is too long for a code."),
        },
        widget=CodeInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
                "class": "code-input",
                # A code was just sent: the page opens on the field to type it.
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The number of digits is a setting, so the help is written per form.
        self.fields["code"].help_text = gettext(
            "The %(digits)d-digit code from the message. Spaces do not matter."
        ) % {"digits": settings.CODE_DIGITS}

    def clean_code(self) -> str:
        value = code_normalize(self.cleaned_data["code"])
        digits = settings.CODE_DIGITS
        if not _DIGITS.fullmatch(value):
            raise ValidationError(_("The code has only digits."), code="format")
        if len(value) != digits:
            raise ValidationError(
                ngettext(
                    "The code has %(digits)d digit.", "The code has %(digits)d digits.", digits
                ),
                code="length",
                params={"digits": digits},
            )
        return value


class StaffLoginForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        # Long enough for any passphrase, short enough not to feed the
        # password hasher megabytes.
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
