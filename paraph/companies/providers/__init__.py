"""Where company data comes from, behind one small Protocol.

``settings.COMPANY_REGISTRY`` names the class; the default,
:class:`paraph.companies.providers.kbo.KboOpenDataRegistry`, reads the
Crossroads Bank for Enterprises open data imported by ``paraph import-kbo``.
Another source (a paid KBO web service, a test double) is one new module
with a ``lookup`` method.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import pgettext

# The KBO's Language codes (denomination.csv) as ISO 639-1; 0 is "unknown".
KBO_LANGUAGES = {"0": "", "1": "fr", "2": "nl", "3": "de", "4": "en"}


@dataclass(frozen=True)
class Name:
    """One name; ``language`` is ``fr``, ``nl``, ``de``, ``en`` or empty
    (unknown); ``kind`` the KBO's TypeOfDenomination (001 official name,
    002 abbreviation, 003 commercial name, 004 branch name)."""

    language: str
    kind: str
    text: str


@dataclass(frozen=True)
class Code:
    """A KBO code and its descriptions, as ``(language, text)`` pairs
    (``fr``, ``nl``, ``de``, ``en``)."""

    code: str
    descriptions: tuple[tuple[str, str], ...] = ()

    def describe(self, language: str) -> str:
        """The description in ``language``, else in French, Dutch, German,
        any language; a code the register does not describe is named as a
        code ("code 006"), never shown bare as if it were a description."""
        by_language = dict(self.descriptions)
        for choice in (language, "fr", "nl", "de"):
            if by_language.get(choice):
                return by_language[choice]
        described = next((text for _lang, text in self.descriptions if text), "")
        return described or pgettext("a KBO code without description", "code %(code)s") % {
            "code": self.code
        }


@dataclass(frozen=True)
class Address:
    """An address as the KBO publishes it: street and municipality in
    French and Dutch (the same text when the place has one name); the
    country only for an address abroad."""

    street_fr: str
    street_nl: str
    house_number: str
    box: str
    zipcode: str
    municipality_fr: str
    municipality_nl: str
    country_fr: str = ""
    country_nl: str = ""
    extra: str = ""

    def lines(self, language: str) -> tuple[str, ...]:
        """The address as printed on an envelope, in ``language`` where the
        KBO has it (Dutch for ``nl``, French otherwise)."""
        dutch = language == "nl"
        street = (self.street_nl if dutch else self.street_fr) or self.street_fr or self.street_nl
        place = (
            (self.municipality_nl if dutch else self.municipality_fr)
            or self.municipality_fr
            or self.municipality_nl
        )
        first = " ".join(part for part in (street, self.house_number) if part)
        if self.box:
            first = f"{first} box {self.box}" if language == "en" else f"{first} bte {self.box}"
            if dutch:
                first = first.replace(" bte ", " bus ")
        country = (self.country_nl if dutch else self.country_fr) or self.country_fr
        return tuple(
            line
            for line in (
                self.extra,
                first,
                " ".join(p for p in (self.zipcode, place) if p),
                country,
            )
            if line
        )


@dataclass(frozen=True)
class EstablishmentData:
    number: str  # ten digits, e.g. 2123456789
    start_date: dt.date | None
    names: tuple[Name, ...]
    address: Address | None


@dataclass(frozen=True)
class CompanyData:
    """What the registry knows about one enterprise. ``source`` says where it
    comes from (for the KBO open data: its extract number and snapshot date)."""

    enterprise_number: str  # ten digits
    names: tuple[Name, ...]
    legal_form: Code | None
    status: Code
    juridical_situation: Code
    type_of_enterprise: Code
    start_date: dt.date | None
    registered_address: Address | None
    establishments: tuple[EstablishmentData, ...]
    source: str = ""
    # National numbers of the persons the registry names as the company's
    # legal representatives (directors, managers): they may change its
    # digital representative (CO-5). The KBO open data names no persons, so
    # its registry leaves this empty; a source that has them fills it.
    legal_representatives: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        """The official name in ``language``; else in French, Dutch, German,
        any language; else the first name the registry has."""
        official = [name for name in self.names if name.kind == "001"] or list(self.names)
        for choice in (language, "fr", "nl", "de", "en", ""):
            for name in official:
                if name.language == choice:
                    return name.text
        return official[0].text if official else ""


class CompanyRegistry(Protocol):
    def lookup(self, enterprise_number: str) -> CompanyData | None:
        """The company with these ten digits (already normalised, see
        :func:`paraph.core.belgium.enterprise_number_normalize`), or None
        when the registry does not know it as an active enterprise."""
        ...


def get_company_registry() -> CompanyRegistry:
    registry: CompanyRegistry = import_string(settings.COMPANY_REGISTRY)()
    return registry
