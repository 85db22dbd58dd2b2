"""Recipients as people type them, and as people may see them again."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from paraph.core.belgium import phone_mask
from paraph.notifications.models import Channel

MASK = "•"


def phone_e164(value: str, *, region: str = "BE") -> str | None:
    """``value`` in E.164 (``+32470123456``), or None when it is not a
    possible phone number. Belgian numbers may be typed nationally
    (``0470 12 34 56``) or with ``0032``."""
    raw = (value or "").strip()
    if not raw or len(raw) > 32:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def recipient_normalize(value: str) -> str:
    """An e-mail address (lower-cased) or a phone number (E.164) typed in
    any usual form; refuses anything else with a message for the person."""
    raw = (value or "").strip()
    if "@" in raw:
        try:
            validate_email(raw)
        except ValidationError as exc:
            raise ValidationError(
                _("This is not an e-mail address."), code="invalid_email"
            ) from exc
        return raw.lower()
    e164 = phone_e164(raw)
    if e164 is None:
        raise ValidationError(
            _("Type a phone number (0470 12 34 56, +32 470 12 34 56) or an e-mail address."),
            code="invalid_recipient",
        )
    return e164


def mask_destination(channel: str, to: str) -> str:
    """Enough of an address for its owner to recognise it, not enough for
    anyone else to use it: ``a•••@example.be``; a phone number the one way
    every page shows it, ``+32 *** ** 34 56`` (``phone_mask``)."""
    if channel == Channel.EMAIL:
        local, _sep, domain = to.rpartition("@")
        if not local:
            return MASK * 3
        return f"{local[0]}{MASK * 3}@{domain}"
    return phone_mask(to.strip())
