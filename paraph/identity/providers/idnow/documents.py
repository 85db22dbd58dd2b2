"""The identity documents accepted for IDnow, per issuing country (RG-12).

The list is a data file, ``paraph/identity/providers/idnow/data/idnow_documents.json``:
per country its ISO 3166 code, its name in English, French, Dutch and
German, and the document types accepted (passport, identity card,
residence permit). The public page, the start form and the check of
IDnow's result all read it from here.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DATA_FILE = Path(__file__).resolve().parent / "data" / "idnow_documents.json"
LANGUAGES = ("en", "fr", "nl", "de")

DOCUMENT_TYPE_LABELS: dict[str, Promise] = {
    "passport": _("Passport"),
    "identity_card": _("Identity card"),
    "residence_permit": _("Residence permit"),
}


@dataclass(frozen=True)
class AcceptedCountry:
    code: str
    names: dict[str, str]
    documents: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.names.get(language[:2]) or self.names["en"]

    def matches(self, query: str) -> bool:
        """Whether a search for ``query`` finds this country: its code, or
        part of its name in any of the four languages, ignoring case and
        accents."""
        wanted = fold(query)
        if not wanted:
            return True
        return wanted == self.code.casefold() or any(
            wanted in fold(name) for name in self.names.values()
        )


@dataclass(frozen=True)
class AcceptedDocuments:
    countries: tuple[AcceptedCountry, ...]
    idnow_types: dict[str, str]  # IDnow's document type -> Paraph's
    mrz_formats: dict[str, tuple[str, ...]]  # Paraph's type -> MRZ formats it may carry
    updated: str

    def country(self, code: str) -> AcceptedCountry | None:
        code = (code or "").upper()
        return next((c for c in self.countries if c.code == code), None)

    def accepts(self, country: str, document_type: str) -> bool:
        found = self.country(country)
        return found is not None and document_type in found.documents

    def search(self, query: str, language: str) -> list[AcceptedCountry]:
        """Countries matching ``query``, sorted by their name in ``language``."""
        found = [c for c in self.countries if c.matches(query)]
        return sorted(found, key=lambda c: fold(c.name(language)))

    def type_from_idnow(self, value: str) -> str | None:
        return self.idnow_types.get((value or "").strip().upper())


def fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _load(path: Path) -> AcceptedDocuments:
    """Read and check the data file; refuses (ValueError) a file with an
    unknown document type, a country code that is not two capitals, a
    duplicate country or a missing name."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    types = raw["document_types"]
    unknown_types = set(types) - set(DOCUMENT_TYPE_LABELS)
    if unknown_types:
        raise ValueError(f"{path.name}: unknown document types {sorted(unknown_types)}")
    countries: list[AcceptedCountry] = []
    for row in raw["countries"]:
        code = row["code"]
        if len(code) != 2 or not code.isascii() or not code.isupper():
            raise ValueError(f"{path.name}: {code!r} is not an ISO 3166 alpha-2 code")
        if any(c.code == code for c in countries):
            raise ValueError(f"{path.name}: {code} is listed twice")
        missing = [lang for lang in LANGUAGES if not row["names"].get(lang)]
        if missing:
            raise ValueError(f"{path.name}: {code} has no name in {missing}")
        documents = tuple(row["documents"])
        if not documents or set(documents) - set(types):
            raise ValueError(f"{path.name}: {code} lists unknown or no document types")
        countries.append(AcceptedCountry(code, dict(row["names"]), documents))
    return AcceptedDocuments(
        countries=tuple(countries),
        idnow_types={
            value.upper(): name for name, spec in types.items() for value in spec["idnow"]
        },
        mrz_formats={name: tuple(spec["mrz"]) for name, spec in types.items()},
        updated=raw.get("updated", ""),
    )


@cache
def accepted_documents() -> AcceptedDocuments:
    return _load(DATA_FILE)
