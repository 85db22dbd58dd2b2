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

from paraph.core.belgium import enterprise_number_format
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
    for_company: tuple[str, str] | None = None,
) -> tuple[str, ...]:
    """Three lines: the signer's name, how they signed, and the date and
    time in Brussels, in ``language`` (fr, nl, de or en; anything else falls
    back to the site's default). Signed ``for_company`` (its name and
    enterprise number), a line after the name says for which company."""
    local = when.astimezone(BRUSSELS)
    with translation.override(_language(language)):
        company = signed_for_words(for_company) if for_company else ""
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
    if company:
        return (signer_name, company, how, moment)
    return (signer_name, how, moment)


def signed_for_words(for_company: tuple[str, str]) -> str:
    """ "for Boulangerie Dupont (enterprise number 0812.345.603)", in the
    active language: the stamp's line and the signature's reason."""
    name, number = for_company
    return gettext("for %(company)s (enterprise number %(number)s)") % {
        "company": name,
        "number": enterprise_number_format(number),
    }


def signed_for_reason(for_company: tuple[str, str] | None, language: str | None) -> str | None:
    """The signature dictionary's /Reason of a signature made for a company."""
    if not for_company:
        return None
    with translation.override(_language(language)):
        return gettext("Signed %(for_company)s") % {"for_company": signed_for_words(for_company)}


def appearance(
    *,
    signer_name: str,
    signed_with: SignedWith,
    when: datetime,
    language: str | None,
    placement: engine.Placement | None,
    mandate_ref: str = "",
    for_company: tuple[str, str] | None = None,
) -> engine.Appearance:
    return engine.Appearance(
        lines=appearance_lines(
            signer_name=signer_name,
            signed_with=signed_with,
            when=when,
            language=language,
            mandate_ref=mandate_ref,
            for_company=for_company,
        ),
        placement=placement or engine.Placement(),
    )
