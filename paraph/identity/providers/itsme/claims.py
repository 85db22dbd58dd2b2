"""itsme's claims read as Paraph's :class:`~paraph.identity.providers.IdentityClaims`:
names, national number, birth date, phone, and the Belgian street address
split into street, number and box."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError

from paraph.core.belgium import national_number_normalize
from paraph.identity.providers import Address, IdentityClaims
from paraph.identity.providers.itsme.oidc import (
    CLAIM_EID_SERIAL,
    CLAIM_NATIONAL_NUMBER,
    itsme_refusal,
)

# --- Claims ----------------------------------------------------------------------

_BOX = r"(?:bus|bte|boîte|boite|box|bt|b)\.?"
_STREET = re.compile(
    rf"^(?P<street>.+?)[\s,]+(?P<number>\d+(?:\s?[A-Za-z](?![A-Za-z]))?(?:-\d+[A-Za-z]?)?)"
    rf"(?:\s*/\s*(?P<box1>[\w.-]+)|\s+{_BOX}\s*(?P<box2>[\w.-]+))?\s*$",
    re.IGNORECASE,
)


def split_street_address(value: str) -> tuple[str, str, str]:
    """``("Rue de la Loi", "16", "3")`` from ``"Rue de la Loi 16 bte 3"``.

    itsme gives one ``street_address`` line (no box field); the box comes
    after ``bus``, ``bte``, ``boîte``, ``box``, ``b`` or a slash. A line that
    does not end in a house number stays whole in the street.
    """
    line = " ".join((value or "").split())
    match = _STREET.match(line)
    if not match:
        return line, "", ""
    box = match.group("box1") or match.group("box2") or ""
    return match.group("street").rstrip(","), match.group("number").replace(" ", ""), box


def _address(raw: Any) -> Address | None:
    if not isinstance(raw, dict):
        return None
    street, number, box = split_street_address(str(raw.get("street_address") or ""))
    return Address(
        street=street,
        house_number=number,
        box=box,
        postal_code=str(raw.get("postal_code") or "").strip(),
        municipality=str(raw.get("locality") or "").strip(),
        country="BE",
        formatted=str(raw.get("formatted") or "").strip(),
    )


def _phone(raw: Any) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, "BE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _birth_date(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def identity_claims(claims: Mapping[str, Any]) -> IdentityClaims:
    """Paraph's view of itsme's claims. The ``sub`` is pairwise and changes
    when a person re-creates their itsme account: the registration flow
    matches people on the national number, not on the subject."""
    national_number = None
    if claims.get(CLAIM_NATIONAL_NUMBER):
        try:
            national_number = national_number_normalize(str(claims[CLAIM_NATIONAL_NUMBER]))
        except ValidationError:
            raise itsme_refusal("claims_invalid", "the national number is not valid") from None
    document = {}
    if claims.get(CLAIM_EID_SERIAL):
        document = {"type": "BE eID", "number": str(claims[CLAIM_EID_SERIAL]), "country": "BE"}
    email = claims.get("email")
    return IdentityClaims(
        method="itsme",
        subject=str(claims["sub"]),
        assurance="high",
        given_name=str(claims.get("given_name") or "").strip(),
        family_name=str(claims.get("family_name") or "").strip(),
        national_number=national_number,
        birth_date=_birth_date(claims.get("birthdate")),
        email=email.strip() if isinstance(email, str) and email.strip() else None,
        phone=_phone(claims.get("phone_number")),
        address=_address(claims.get("address")),
        document=document,
    )
