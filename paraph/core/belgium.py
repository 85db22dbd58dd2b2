"""Belgian identifiers and phone numbers: parsing people's input into one
canonical form, or a clear, translated error."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.be import bis, nn, vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

_SEPARATORS = re.compile(r"[\s./\-]")


def _ascii_digits(value: str) -> str:
    """Decimal digits of any script (full-width, Arabic-Indic...) as ASCII;
    other characters, superscripts (``²``) included, unchanged."""
    return "".join(
        str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c for c in value
    )


def national_number_normalize(value: str) -> str:
    """The 11 digits of a national register number or BIS number.

    Accepts the printed forms (``85.07.30-033.28``, spaces); checks the
    mod-97 check digits, including the rule for births from 2000 on, and
    the BIS month offsets (+20, +40).
    """
    compact = _ascii_digits(_SEPARATORS.sub("", value or ""))
    if not compact:
        raise ValidationError(_("Enter your national register number."), code="required")
    if not (compact.isascii() and compact.isdigit()):
        raise ValidationError(_("A national register number has only digits."), code="format")
    if len(compact) != 11:
        raise ValidationError(_("A national register number has 11 digits."), code="length")
    try:
        month = int(compact[2:4])
        if month >= 20:
            return bis.validate(compact)
        return nn.validate(compact)
    except InvalidChecksum as exc:
        raise ValidationError(
            _("This national register number is not valid: check the last two digits."),
            code="checksum",
        ) from exc
    except (InvalidComponent, InvalidFormat, InvalidLength) as exc:
        raise ValidationError(
            _("This national register number is not valid: check the date of birth part."),
            code="component",
        ) from exc


def national_number_format(value: str) -> str:
    """``85.07.30-033.28``, the form printed on the eID card."""
    return f"{value[0:2]}.{value[2:4]}.{value[4:6]}-{value[6:9]}.{value[9:11]}"


def enterprise_number_is_valid(digits: str) -> bool:
    """Whether ten ASCII digits are an enterprise (or establishment) number:
    the check number is 97 - (first eight digits mod 97), from 01 to 97.

    python-stdnum checks only that the whole is a multiple of 97, so it also
    takes 00 for 97 and 98, 99 for 01, 02: one enterprise, two numbers.
    """
    return (
        len(digits) == 10
        and digits.isascii()
        and digits.isdigit()
        and int(digits[8:]) == 97 - int(digits[:8]) % 97
    )


def enterprise_number_normalize(value: str) -> str:
    """The ten digits of a Belgian enterprise number (KBO/BCE); accepts
    ``BE``, dots, spaces and the old nine-digit form. Refuses a wrong check
    number, and the impossible ones (00, 98, 99)."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(_("Enter the enterprise number."), code="required")
    try:
        number = str(vat.validate(raw))
    except InvalidChecksum as exc:
        raise _enterprise_checksum_error() from exc
    except StdnumError as exc:
        raise ValidationError(
            _("An enterprise number has 10 digits, like 0123.456.749."), code="format"
        ) from exc
    if not enterprise_number_is_valid(number):
        raise _enterprise_checksum_error()
    return number


def _enterprise_checksum_error() -> ValidationError:
    return ValidationError(
        _("This enterprise number is not valid: check the last two digits."), code="checksum"
    )


def enterprise_number_format(value: str) -> str:
    """``0123.456.749``, the form printed on Belgian company documents."""
    return f"{value[0:4]}.{value[4:7]}.{value[7:10]}" if len(value) == 10 else value


def phone_normalize(value: str, *, region: str = "BE") -> str:
    """A mobile phone number in E.164 (``+32470123456``); Belgian numbers
    may be typed as ``0470 12 34 56``. Refuses numbers that cannot receive
    an SMS (fixed lines)."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(_("Enter your mobile phone number."), code="required")
    if len(raw) > 32:
        raise ValidationError(_("This phone number is too long."), code="length")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("This is not a phone number. Example: 0470 12 34 56 or +32 470 12 34 56."),
            code="format",
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This phone number does not exist. Example: 0470 12 34 56 or +32 470 12 34 56."),
            code="invalid",
        )
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(
            _("Enter a mobile number: we send log-in codes by SMS."), code="not_mobile"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_mask(e164: str) -> str:
    """``+32 *** ** 34 56``: enough for a person to recognise their number."""
    if len(e164) < 6:
        return "***"
    return f"{e164[:3]} *** ** {e164[-4:-2]} {e164[-2:]}"
