"""Normalising what people type so that it can be compared with the
customer file (RG-2, RG-4).

Everything here is a pure function: the same input always gives the same
key, whatever the case, accents, punctuation and the common ways of
writing Belgian addresses in French, Dutch or German. Where a way of
writing is ambiguous, the key prefers a miss (the person types their client
reference or calls the contact centre) to a false match (someone else's
customer record):

- a client reference is its digits (``12/3456-789``, ``12.3456.789`` and
  ``123456789`` are one reference, RG-4);
- a street loses its case, accents and punctuation, but keeps where its
  words begin (``Rue du Bois`` and ``Rue Dubois`` are two streets; a hyphen
  is a space: ``Sint-Jansplein`` = ``Sint Jansplein``). Its usual
  abbreviations are written out (``r.`` → rue, ``av.`` → avenue, ``bd`` →
  boulevard, ``stwg`` → steenweg); ``Ch.`` is not, as it is ``chaussée`` or
  ``chemin``. The Dutch ``straat`` and the German ``Straße`` both end as
  ``str``, and a Dutch or German street type typed apart is joined to the
  word before it, so ``Kerkstraat``, ``Kerk straat`` and ``Kerkstr.`` meet;
- in the Brussels-Capital Region (postcodes 1000 to 1299) a street has a
  French and a Dutch name, and both give the French one's key:
  ``data/brussels_streets.csv`` pairs the names (``Wetstraat`` = ``Rue de la
  Loi``); for a Dutch name not in that table, one rule: ``Xstraat`` is
  ``Rue X``, ``Xplein`` is ``Place X`` and ``Xsquare`` is ``Square X``
  (``Antoine Dansaertstraat`` = ``Rue Antoine Dansaert``, ``Flageyplein`` =
  ``Place Flagey``), the street named after the same person or place. The
  rule is not used when ``Rue X`` (``Place X``, ``Square X``) is in the
  table with another Dutch name, and there is no rule for ``Xlaan``
  (``Avenue X`` or ``Boulevard X``?) nor for ``Xsesteenweg`` (``Chaussée de
  X``, with X translated): those meet only through the table;
- a house number loses its punctuation before a letter (``12 A`` = ``12a``)
  and its leading zeros (``016`` = ``16``); ``12-14`` is a range.
  ``12/14`` typed in the number field with no box is read both ways when
  the second number is the larger: the range 12-14 or number 12 box 14 (the
  record decides; a record written ``12/14`` meets both); when it is not
  larger (``12/3``) it is number 12, box 3;
- a box loses its marker (``bus``, ``bte``, ``boîte``, ``box``, ``b.``,
  ``/``) and the leading zeros of its numbers, and keeps everything else:
  its letters (``bte B`` is box B, and so are ``b.`` and ``B``; ``BT`` is box
  BT) and where a number ends (``1.2`` = ``1/2`` = ``1-2``, but not ``12``;
  ``0.1`` is not ``1``). A one-letter marker counts only when something
  separates it from the value (``b. 1`` and ``b 1`` are box 1, ``B1`` is box
  B1); a longer one may be glued (``bus1`` is box 1);
- an empty street or number (or one that is only punctuation, such as
  ``-``) gives no key and matches nothing;
- a municipality is compared through the names it has in French, Dutch and
  German (``data/municipalities.csv``: Bruxelles = Brussel = Brüssel). The
  postcode, part of the key, already says where the address is; so two
  names also agree when both name the area of that postcode
  (``data/postcode_areas.csv``): the municipality, one of its sections, or
  the Brussels region: ``Bruxelles`` for 1040 Etterbeek, ``Gent`` for 9050
  Gentbrugge, but not ``Ixelles`` (1050) for 1040.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from django.utils.translation import gettext

DATA = Path(__file__).with_name("data")
MUNICIPALITIES_FILE = DATA / "municipalities.csv"
BRUSSELS_STREETS_FILE = DATA / "brussels_streets.csv"
POSTCODE_AREAS_FILE = DATA / "postcode_areas.csv"
REFERENCE_MAX_DIGITS = 30
BRUSSELS_POSTCODES = range(1000, 1300)

_REFERENCE_SEPARATORS = re.compile(r"[\s/\-.]+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"[0-9]+")
_SPECIAL_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d"})

# Whole words, after folding, written out (or, for "straat"/"strasse",
# shortened) so that both ways of writing a street meet. "ch" is absent on
# purpose: chaussée or chemin.
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
    "chee": "chaussee",
    "chauss": "chaussee",
    "pl": "place",
    "sq": "square",
    "imp": "impasse",
    "stwg": "steenweg",
    "stw": "steenweg",
    "ln": "laan",
    "pln": "plein",
    "straat": "str",
    "strasse": "str",
    "saint": "st",
    "sint": "st",
    "sankt": "st",
    "sainte": "ste",
}
# Word endings, for the Dutch and German habit of writing the street type
# as part of one word (Kerkstraat, Hauptstraße, Brusselsestwg).
_STREET_SUFFIXES = (("straat", "str"), ("strasse", "str"), ("stwg", "steenweg"))
# Dutch and German street types written as one word with the name before
# them; typed apart ("Kerk straat", "Aachener Straße") they are joined.
_JOINED_TYPES = frozenset({"str", "steenweg", "laan", "plein", "square"})
# A street that begins with one of these is French: its last word is not a
# Dutch type to join ("Rue du Square").
_FRENCH_TYPES = frozenset(
    {
        "rue",
        "avenue",
        "boulevard",
        "place",
        "chaussee",
        "chemin",
        "square",
        "impasse",
        "allee",
        "quai",
        "clos",
        "dreve",
        "rond",
        "parvis",
        "passage",
        "galerie",
        "sentier",
        "cite",
        "cour",
        "route",
    }
)
# Brussels: a Dutch street type at the end of a name, and the French type
# its name has in front (see the module's docstring).
_BRUSSELS_RULE = (("str", "rue"), ("plein", "place"), ("square", "square"))

_BOX_MARKER = re.compile(
    # A marker of several letters may touch the value (bus1); "b", "bt",
    # "bo" only with something between (b. 1, b 1): B1 is box B1.
    r"^(?:(?:bus|bte|boite|box|postbus|appartement|app|apt)\.?\s*(?=[0-9a-z])"
    r"|(?:bt|bo|b|nr|no)(?:\s*[.:]\s*|\s+)(?=[0-9a-z]))"
)
# "12 bte 3", "12 bus 3", "12/3", "12 b 3", "12bus3" typed in the number field.
_NUMBER_WITH_BOX = re.compile(
    r"^\s*(?P<number>[0-9]+\s*[a-z]?)\s*(?:/|(?:bus|bte|boite|box)\.?|\b(?:bt|b)\b\.?)"
    r"\s*(?P<box>[0-9a-z](?:[0-9a-z./\s-]*[0-9a-z])?)\s*$"
)
# "12/14": a range or number 12 box 14 (see the module's docstring).
_NUMBER_SLASH_NUMBER = re.compile(r"^\s*(?P<first>[0-9]+)\s*/\s*(?P<second>[0-9]+)\s*$")
_RANGE = re.compile(r"(?P<first>[0-9]+)-(?P<second>[0-9]+)")


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


def _street_words(value: str) -> list[str]:
    """A street's words, abbreviations written out, a Dutch or German type
    typed apart joined to the word before it."""
    words = []
    for word in _words(value):
        word = _STREET_WORDS.get(word, word)
        for suffix, replacement in _STREET_SUFFIXES:
            if word.endswith(suffix) and word != suffix:
                word = word[: -len(suffix)] + replacement
        words.append(word)
    if len(words) > 1 and words[-1] in _JOINED_TYPES and words[0] not in _FRENCH_TYPES:
        words[-2:] = [words[-2] + words[-1]]
    return words


@cache
def _brussels_streets() -> tuple[dict[str, str], frozenset[str]]:
    """Each French and Dutch name of ``brussels_streets.csv`` (as a street
    key) → the French name's key; and the set of French keys. A name with
    two different partners is an error in the file (two streets would
    meet): ``ValueError``."""
    names: dict[str, str] = {}
    with BRUSSELS_STREETS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter=";")
        for row in rows:
            french = " ".join(_street_words(row["fr"]))
            dutch = " ".join(_street_words(row["nl"]))
            if not french or not dutch:
                raise ValueError(f"{BRUSSELS_STREETS_FILE.name}: an empty name ({row})")
            for key in (french, dutch):
                if names.setdefault(key, french) != french:
                    raise ValueError(
                        f"{BRUSSELS_STREETS_FILE.name}: {key!r} names two streets ({row})"
                    )
    return names, frozenset(names.values())


def _brussels_street_key(words: list[str]) -> str:
    """The key of a Brussels street: its French name's (see the module's
    docstring)."""
    key = " ".join(words)
    table, french_keys = _brussels_streets()
    if key in table:
        return table[key]
    if words and words[0] not in _FRENCH_TYPES:
        for dutch_type, french_type in _BRUSSELS_RULE:
            stem = words[-1][: -len(dutch_type)]
            if words[-1].endswith(dutch_type) and len(stem) > 1:
                french = " ".join([french_type, *words[:-1], stem])
                if french not in french_keys:
                    return french
                break
    return key


def street_normalize(value: str, *, postal_code: str = "") -> str:
    """A street's comparison key: ``Rue de la Loi`` and ``r. de la loi`` give
    ``rue de la loi``; ``Kerkstraat`` and ``Kerkstr.`` give ``kerkstr``; in
    Brussels (``postal_code`` 1000 to 1299) ``Wetstraat`` gives ``rue de la
    loi`` too. Nothing typed (or only punctuation) gives ``""``."""
    words = _street_words(value)
    if _in_brussels(postal_code):
        return _brussels_street_key(words)
    return " ".join(words)


def _in_brussels(postal_code: str) -> bool:
    code = postal_code_normalize(postal_code)
    return bool(code) and int(code) in BRUSSELS_POSTCODES


def _alnum_key(value: str) -> str:
    """Letters and digits, one ``-`` where anything else stood between two
    digits or two letters, nothing between a digit and a letter, no
    leading zeros: ``12 A`` → ``12a``, ``1.02`` → ``1-2``, ``016`` → ``16``."""
    key = _NOT_ALNUM.sub("-", fold(value)).strip("-")
    key = re.sub(r"(?<=[0-9])-(?=[a-z])|(?<=[a-z])-(?=[0-9])", "", key)
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", key)


def house_number_normalize(value: str) -> str:
    """``12 A``, ``12a`` and ``12-A`` give ``12a``; ``016`` gives ``16``;
    ``12/14`` and ``12-14`` give ``12-14``."""
    return _alnum_key(value)


def box_normalize(value: str) -> str:
    """``bte 3``, ``bus 3``, ``Box 03``, ``b. 3``, ``bus3`` and ``/3`` give
    ``3``; ``bte B`` and ``b.`` give ``b``; ``B1`` gives ``b1``; ``1.2`` and
    ``1/2`` give ``1-2``."""
    value = fold(value).strip().lstrip("/").strip()
    marker = _BOX_MARKER.match(value)
    if marker:
        value = value[marker.end() :]
    return _alnum_key(value)


def _also_read_as_slash(number: str, box: str) -> list[tuple[str, str]]:
    """The record written ``N/M`` (see ``number_readings``) that a range
    ``N-M`` or number N box M may be."""
    if box:
        first, second = number, box
    else:
        range_ = _RANGE.fullmatch(number)
        if not range_:
            return []
        first, second = range_["first"], range_["second"]
    if _DIGITS.fullmatch(first) and _DIGITS.fullmatch(second) and int(second) > int(first):
        return [(f"{first}/{second}", "")]
    return []


def number_readings(house_number: str, box: str = "") -> tuple[tuple[str, str], ...]:
    """Every (number, box) that what was typed may mean, normalised, the
    first one the likeliest; none when no number was typed. A box may have
    been typed in the number field (``12 bte 3``, ``12/3``); ``N/M`` with no
    box and M > N is three readings, ``N/M`` itself (what a record written
    so is stored as), the range ``N-M`` and number N box M; a range or a
    number and box that may be written ``N/M`` also reads as ``N/M``."""
    box_key = box_normalize(box)
    folded = fold(house_number)
    reading: tuple[str, str] | None = None
    if not box_key:
        pair = _NUMBER_SLASH_NUMBER.match(folded)
        if pair:
            first, second = _alnum_key(pair["first"]), _alnum_key(pair["second"])
            if int(second) > int(first):
                return ((f"{first}/{second}", ""), (f"{first}-{second}", ""), (first, second))
        match = _NUMBER_WITH_BOX.match(folded)
        if match:
            number, in_number = house_number_normalize(match["number"]), box_normalize(match["box"])
            if number and in_number:
                reading = (number, in_number)
    if reading is None:
        reading = (house_number_normalize(house_number), box_key)
    if not reading[0]:
        return ()
    return (reading, *_also_read_as_slash(*reading))


def number_and_box(house_number: str, box: str = "") -> tuple[str, str]:
    """The house number and the box, normalised, when the box may have been
    typed in the number field (``12 bte 3``, ``12/3``): the likeliest of
    ``number_readings``, ``("", "")`` when no number was typed."""
    readings = number_readings(house_number, box)
    return readings[0] if readings else ("", box_normalize(box))


def postal_code_normalize(value: str) -> str:
    """The digits of a postcode (``B-1000`` and ``1000`` give ``1000``)."""
    return "".join(c for c in (value or "") if c.isascii() and c.isdigit())


def address_keys(
    *, postal_code: str, street: str, house_number: str, box: str = ""
) -> tuple[str, ...]:
    """The keys an address typed this way may have: postcode, street, number
    and box after normalisation, one key per reading of the number and box
    (``number_readings``), the likeliest first. None when the postcode, the
    street or the number is empty after normalisation: such an address
    matches nothing. The municipality is left out (compared apart, see
    ``same_municipality``)."""
    code = postal_code_normalize(postal_code)
    street_key = street_normalize(street, postal_code=code)
    if not code or not street_key:
        return ()
    return tuple(
        f"{code}|{street_key}|{number}|{box_key}"
        for number, box_key in number_readings(house_number, box)
    )


def address_key(*, postal_code: str, street: str, house_number: str, box: str = "") -> str:
    """The key a customer record is stored under: the likeliest of
    ``address_keys``, or ``""`` (matched by nothing)."""
    keys = address_keys(postal_code=postal_code, street=street, house_number=house_number, box=box)
    return keys[0] if keys else ""


def _data_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(line for line in handle if not line.startswith("#"))


@cache
def _municipality_names() -> dict[str, str]:
    """Every known name (folded, without spaces) → the municipality's first
    name in the file."""
    names: dict[str, str] = {}
    for row in _data_rows(MUNICIPALITIES_FILE):
        variants = [v.strip() for v in row.values() if v and v.strip()]
        if not variants:
            continue
        canonical = _place_key(variants[0])
        for variant in variants:
            names[_place_key(variant)] = canonical
    return names


@cache
def _postcode_areas() -> dict[str, frozenset[str]]:
    """Postcode → the municipality keys of the places it belongs to
    (``postcode_areas.csv``)."""
    areas: dict[str, set[str]] = {}
    for row in _data_rows(POSTCODE_AREAS_FILE):
        name = municipality_normalize(row["name"])
        for part in row["postcodes"].split():
            first, _, last = part.partition("-")
            for code in range(int(first), int(last or first) + 1):
                areas.setdefault(str(code), set()).add(name)
    return {code: frozenset(names) for code, names in areas.items()}


def municipality_normalize(value: str) -> str:
    """A municipality's comparison key, the same for its French, Dutch and
    German names (``Liège``, ``Luik``, ``Lüttich`` → ``liege``)."""
    key = _place_key(value)
    return _municipality_names().get(key, key)


def same_municipality(a: str, b: str, *, postal_code: str = "") -> bool:
    """Whether two municipality names agree for an address at
    ``postal_code``: the same municipality in any language, or both names
    of the area of that postcode (see the module's docstring)."""
    key_a, key_b = municipality_normalize(a), municipality_normalize(b)
    if not key_a or not key_b:
        return False
    if key_a == key_b:
        return True
    area = _postcode_areas().get(postal_code_normalize(postal_code), frozenset())
    return key_a in area and key_b in area


def name_normalize(value: str) -> str:
    """A name's comparison key: ``El Amrani``, ``EL-AMRANI`` and
    ``el amrani`` give ``elamrani``."""
    return "".join(_words(value))


# --- An address outside Belgium (issue 14) ----------------------------------------
#
# A person who does not live in Belgium (most who register with IDnow) gives
# the address of their country: free lines, a postcode, a town. Countries
# write it in their own ways, so the comparison with a customer record is
# strict: the same country, the same postcode (case, spaces and hyphens
# aside), the same town (case and accents aside), and the same words in the
# same order in the lines (case, accents and punctuation aside), with the
# record's house number and box either after its street (``Hauptstraße 5``)
# or before it (``5 rue de Rivoli``). Anything else is a miss.

# Postcodes as their countries write them (after upper case; spaces and
# hyphens where the country has one); others: 2 to 10 letters and digits.
FOREIGN_POSTCODES: dict[str, re.Pattern[str]] = {
    code: re.compile(pattern)
    for code, pattern in {
        "AT": r"[0-9]{4}",
        "CH": r"[0-9]{4}",
        "DE": r"[0-9]{5}",
        "DK": r"[0-9]{4}",
        "ES": r"[0-9]{5}",
        "FR": r"[0-9]{5}",
        "GB": r"[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}",
        "IT": r"[0-9]{5}",
        "LU": r"(L-?)?[0-9]{4}",
        "NL": r"[0-9]{4} ?[A-Z]{2}",
        "PL": r"[0-9]{2}-?[0-9]{3}",
        "PT": r"[0-9]{4}-?[0-9]{3}",
        "US": r"[0-9]{5}(-?[0-9]{4})?",
    }.items()
}
_ANY_POSTCODE = re.compile(r"[0-9A-Z][0-9A-Z -]{0,8}[0-9A-Z]")
# Where a postcode is not needed on every address.
POSTCODE_OPTIONAL = frozenset({"IE"})


def foreign_postal_code_valid(country: str, value: str) -> bool:
    """Whether ``value`` (stripped, upper case) is written as a postcode of
    ``country``; empty is valid only where postcodes are optional."""
    value = " ".join((value or "").upper().split())
    if not value:
        return country in POSTCODE_OPTIONAL
    pattern = FOREIGN_POSTCODES.get(country, _ANY_POSTCODE)
    return bool(pattern.fullmatch(value)) and any(c.isdigit() for c in value)


def foreign_postal_code_normalize(country: str, value: str) -> str:
    """The postcode as compared: upper-case letters and digits only, and
    without Luxembourg's ``L-`` (``1234 ab`` = ``1234AB``, ``L-1234`` =
    ``1234``)."""
    key = "".join(c for c in (value or "").upper() if c.isascii() and c.isalnum())
    if country == "LU" and key.startswith("L") and key[1:].isdigit():
        key = key[1:]
    return key


def foreign_address_matches(
    *,
    record_street: str,
    record_number: str,
    record_box: str,
    record_postal_code: str,
    record_town: str,
    country: str,
    lines: str,
    postal_code: str,
    town: str,
) -> bool:
    """Whether an address typed outside Belgium is the customer record's
    (both in ``country``, compared by the caller). Empty lines or town
    match nothing."""
    typed = _words(lines)
    if not typed or not _words(town):
        return False
    if foreign_postal_code_normalize(country, postal_code) != foreign_postal_code_normalize(
        country, record_postal_code
    ):
        return False
    if _words(record_town) != _words(town):
        return False
    street, number, box = _words(record_street), _words(record_number), _words(record_box)
    return typed in (street + number + box, number + street + box)
