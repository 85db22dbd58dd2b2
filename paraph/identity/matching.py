"""Normalising what people type so that it can be compared with the
customer file (RG-2, RG-4).

Everything here is a pure function: the same input always gives the same
key, whatever the case, accents, punctuation and the common ways of
writing Belgian addresses in French, Dutch or German:

- a client reference is its digits (``12/3456-789``, ``12.3456.789`` and
  ``123456789`` are one reference, RG-4);
- a street loses its case, accents, spaces and punctuation, and its usual
  abbreviations are written out (``r.`` → rue, ``av.`` → avenue, ``stwg`` →
  steenweg); the Dutch ``straat`` and the German ``Straße`` both end as
  ``str`` so ``Kerkstraat`` and ``Kerkstr.`` meet;
- a box loses its marker (bus, bte, boîte, box, b, /) and leading zeros;
- a municipality is compared through the names it has in French, Dutch and
  German (``data/municipalities.csv``: Bruxelles = Brussel = Brüssel).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from pathlib import Path

from django.utils.translation import gettext

MUNICIPALITIES_FILE = Path(__file__).with_name("data") / "municipalities.csv"
REFERENCE_MAX_DIGITS = 30

_REFERENCE_SEPARATORS = re.compile(r"[\s/\-.]+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_SPECIAL_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d"})

# Whole words, after folding, written out (or, for "straat"/"strasse",
# shortened) so that both ways of writing a street meet.
_STREET_WORDS = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "avn": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "boul": "boulevard",
    "bvd": "boulevard",
    "ch": "chaussee",
    "chee": "chaussee",
    "chauss": "chaussee",
    "pl": "place",
    "sq": "square",
    "imp": "impasse",
    "stwg": "steenweg",
    "stw": "steenweg",
    "stwg.": "steenweg",
    "ln": "laan",
    "pln": "plein",
    "str": "str",
    "straat": "str",
    "strasse": "str",
    "saint": "st",
    "sint": "st",
    "sankt": "st",
    "sainte": "ste",
}
# Word endings, for the Dutch and German habit of writing the street type
# as part of one word (Kerkstraat, Hauptstraße, Lindenln).
_STREET_SUFFIXES = (("straat", "str"), ("strasse", "str"))
_BOX_MARKERS = re.compile(
    r"^(?:bus|bte|boite|boîte|box|bt|bo|b|postbus|appartement|app|apt)(?=[0-9]|\b)\.?\s*",
)
# "12 bte 3", "12 bus 3", "12/3", "12 b 3" typed in the number field.
_NUMBER_WITH_BOX = re.compile(
    r"^\s*(?P<number>[0-9]+\s*[a-z]?)\s*(?:/|\b(?:bus|bte|boite|box|bt|b)\b\.?)\s*(?P<box>[0-9a-z]+)\s*$"
)


def fold(value: str) -> str:
    """Lower case, without accents: ``Liège`` → ``liege``, ``Straße`` →
    ``strasse``."""
    value = (value or "").strip().lower().translate(_SPECIAL_LETTERS)
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(value: str) -> list[str]:
    return [w for w in _NOT_ALNUM.split(fold(value)) if w]


_SAINTS = {"saint": "st", "sint": "st", "sankt": "st", "sainte": "ste"}


def _place_key(value: str) -> str:
    """A place name's words run together, "Saint", "Sint" and "Sankt"
    written "st" (Saint-Vith, Sankt Vith and St. Vith meet)."""
    return "".join(_SAINTS.get(word, word) for word in _words(value))


def reference_normalize(value: str) -> str:
    """The digits of a client reference (RG-4). Spaces and the separators
    printed on documents (``/``, ``-``, ``.``) are dropped; anything else
    (a letter, another sign) is refused with a ``ValueError`` whose message
    can be shown to the person."""
    compact = _REFERENCE_SEPARATORS.sub("", (value or "").strip())
    if not compact:
        raise ValueError(gettext("Enter your client reference."))
    if not compact.isascii() or not compact.isdigit():
        raise ValueError(
            gettext(
                "A client reference has only digits, sometimes grouped by /, - or . "
                "(for example 12/3456-789)."
            )
        )
    if len(compact) > REFERENCE_MAX_DIGITS:
        raise ValueError(gettext("This is too long for a client reference."))
    return compact


def street_normalize(value: str) -> str:
    """A street's comparison key: ``Rue de la Loi`` and ``r. de la loi`` give
    ``ruedelaloi``; ``Kerkstraat`` and ``Kerkstr.`` give ``kerkstr``."""
    words = []
    for word in _words(value):
        word = _STREET_WORDS.get(word, word)
        for suffix, replacement in _STREET_SUFFIXES:
            if word.endswith(suffix) and word != suffix:
                word = word[: -len(suffix)] + replacement
        words.append(word)
    return "".join(words)


def house_number_normalize(value: str) -> str:
    """``12 A``, ``12a`` and ``12-A`` give ``12a``; ``12/14`` gives ``12-14``."""
    key = _NOT_ALNUM.sub("-", fold(value)).strip("-")
    return re.sub(r"(?<=[0-9])-(?=[a-z])|(?<=[a-z])-(?=[0-9])", "", key)


def box_normalize(value: str) -> str:
    """``bte 3``, ``bus 3``, ``Box 03``, ``b3`` and ``/3`` give ``3``."""
    value = fold(value).strip().lstrip("/").strip()
    value = _BOX_MARKERS.sub("", value)
    key = _NOT_ALNUM.sub("", value)
    if key.isdigit():
        key = key.lstrip("0") or "0"
    return key


def number_and_box(house_number: str, box: str = "") -> tuple[str, str]:
    """The house number and the box, normalised, when the box may have been
    typed in the number field (``12 bte 3``, ``12/3``)."""
    if not (box or "").strip():
        match = _NUMBER_WITH_BOX.match(fold(house_number))
        if match:
            return house_number_normalize(match["number"]), box_normalize(match["box"])
    return house_number_normalize(house_number), box_normalize(box)


def postal_code_normalize(value: str) -> str:
    """The digits of a postcode (``B-1000`` and ``1000`` give ``1000``)."""
    return "".join(c for c in (value or "") if c.isascii() and c.isdigit())


def address_key(*, postal_code: str, street: str, house_number: str, box: str = "") -> str:
    """One string that two ways of writing the same address share:
    postcode, street, number and box after normalisation. The municipality
    is left out (it follows from the postcode and is compared apart,
    through its names in three languages)."""
    number, box_key = number_and_box(house_number, box)
    return "|".join((postal_code_normalize(postal_code), street_normalize(street), number, box_key))


@cache
def _municipality_names() -> dict[str, str]:
    """Every known name (folded, without spaces) → the municipality's first
    name in the file."""
    names: dict[str, str] = {}
    with MUNICIPALITIES_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            variants = [v.strip() for v in row.values() if v and v.strip()]
            if not variants:
                continue
            canonical = _place_key(variants[0])
            for variant in variants:
                names[_place_key(variant)] = canonical
    return names


def municipality_normalize(value: str) -> str:
    """A municipality's comparison key, the same for its French, Dutch and
    German names (``Liège``, ``Luik``, ``Lüttich`` → ``liege``)."""
    key = _place_key(value)
    return _municipality_names().get(key, key)


def same_municipality(a: str, b: str) -> bool:
    return bool(municipality_normalize(a)) and municipality_normalize(a) == municipality_normalize(
        b
    )


def name_normalize(value: str) -> str:
    """A name's comparison key: ``El Amrani``, ``EL-AMRANI`` and
    ``el amrani`` give ``elamrani``."""
    return "".join(_words(value))
