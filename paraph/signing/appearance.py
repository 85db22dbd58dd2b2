"""The words of a visible signature, in the signer's language: who signed,
how, and when (Europe/Brussels). The engine only fits the lines it is
given into the box; what they say is decided here."""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext

from paraph.signing import engine

BRUSSELS = ZoneInfo("Europe/Brussels")


class SignedWith(enum.StrEnum):
    EID = "eid"
    PASSWORD = "password"
    SEAL = "seal"


def _language(language: str | None) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    return language if language in known else settings.LANGUAGE_CODE


def appearance_lines(
    *,
    signer_name: str,
    signed_with: SignedWith,
    when: datetime,
    language: str | None,
    mandate_ref: str = "",
) -> tuple[str, ...]:
    """Three lines: the signer's name, how they signed, and the date and
    time in Brussels, in ``language`` (fr, nl, de or en; anything else falls
    back to the site's default)."""
    local = when.astimezone(BRUSSELS)
    with translation.override(_language(language)):
        if signed_with == SignedWith.EID:
            how = gettext("Signed with an eID card")
        elif signed_with == SignedWith.PASSWORD:
            how = gettext("Signed with a password under mandate no. %(mandate)s") % {
                "mandate": mandate_ref
            }
        else:
            how = gettext("Paraph seal")
        moment = gettext("%(date)s, %(time)s (Brussels time)") % {
            "date": formats.date_format(local, "DATE_FORMAT"),
            "time": formats.time_format(local, "H:i"),
        }
    return (signer_name, how, moment)


def appearance(
    *,
    signer_name: str,
    signed_with: SignedWith,
    when: datetime,
    language: str | None,
    placement: engine.Placement | None,
    mandate_ref: str = "",
) -> engine.Appearance:
    return engine.Appearance(
        lines=appearance_lines(
            signer_name=signer_name,
            signed_with=signed_with,
            when=when,
            language=language,
            mandate_ref=mandate_ref,
        ),
        placement=placement or engine.Placement(),
    )
