"""Machine-readable zones of travel documents (ICAO Doc 9303, parts 3-6).

Three formats exist: TD1 (3 lines of 30 characters: identity cards, the
Belgian eID too), TD2 (2 lines of 36) and TD3 (2 lines of 44: passports).
Every checked field carries a check digit: the characters' values (0-9 as
is, A-Z as 10-35, the filler ``<`` as 0) weighted 7, 3, 1, 7, 3, 1, ...,
summed, modulo 10. A composite check digit then covers the numbers and
dates of the lower line(s) together.

:func:`mrz_parse` reads a zone and checks every check digit, in the order
the fields appear, and raises :class:`MrzError` naming the first field
whose check digit fails; :func:`mrz_build` writes a valid zone (the sandbox
IDnow and the tests use it).

A check digit catches every change of one digit into another digit (the
weights 7, 3 and 1 have no factor in common with 10), but not a change
between characters whose values agree modulo 10 (``0``, ``A``, ``K``,
``U`` and ``<`` all count as 0): ICAO's design, not a defect here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

_WEIGHTS = (7, 3, 1)
_ALPHABET = re.compile(r"^[A-Z0-9<]+$")
FORMATS = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44)}


class MrzError(ValueError):
    """The zone cannot be read, or a check digit fails. ``field`` names the
    field ("document_number", "birth_date", "expiry_date",
    "optional_data", "composite", or "format" for the zone's shape)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Mrz:
    """What a machine-readable zone says; every check digit was verified.

    ``birth_date`` or ``expiry_date`` is None only when the document leaves
    it unknown (fillers). ``sex`` is "M", "F" or "X" (unspecified).
    """

    format: str  # "TD1" | "TD2" | "TD3"
    document_code: str  # "P", "I", "ID", "IR", "AC", ... (fillers removed)
    issuing_state: str  # ICAO code: 3 letters, or "D" for Germany
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: dt.date | None
    sex: str
    expiry_date: dt.date | None
    optional_data: str = ""  # TD3 personal number; TD1/TD2 optional data (upper line)
    optional_data_2: str = ""  # TD1 only: the middle line's optional data
    # The name field does not end in fillers: the names may have been cut
    # to fit (ICAO 9303 part 3, 4.6), so they compare as prefixes.
    names_truncated: bool = False

    @property
    def document_kind(self) -> str:
        """ "passport", "identity_card" or "other", from the document code."""
        if self.format == "TD3" or self.document_code.startswith("P"):
            return "passport"
        if self.document_code[:1] in {"I", "A", "C"}:
            return "identity_card"
        return "other"


def char_value(char: str) -> int:
    """A character's value in a check digit: 0-9, A-Z as 10-35, ``<`` as 0."""
    if char.isascii() and char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise MrzError("format", f"{char!r} is not an MRZ character (A-Z, 0-9 and < only)")


def check_digit(value: str) -> str:
    """The ICAO 9303 check digit of ``value``, as a character."""
    total = sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(value))
    return str(total % 10)


def _verify(field: str, value: str, digit: str, *, label: str) -> None:
    if digit == "<" and field == "optional_data" and set(value) <= {"<"}:
        return  # an empty personal number may carry a filler as its check digit
    if not (digit.isascii() and digit.isdigit()):
        raise MrzError(field, f"the check digit of the {label} is {digit!r}, not a digit")
    expected = check_digit(value)
    if digit != expected:
        raise MrzError(
            field,
            f"the check digit of the {label} does not match "
            f"(the zone says {digit}, the {label} gives {expected})",
        )


def _lines(zone: str | list[str] | tuple[str, ...]) -> list[str]:
    raw = zone.splitlines() if isinstance(zone, str) else list(zone)
    lines = [line.strip().replace(" ", "").upper() for line in raw if line.strip()]
    return lines


def _detect(lines: list[str]) -> str:
    shape = (len(lines), {len(line) for line in lines})
    for name, (count, width) in FORMATS.items():
        if shape == (count, {width}):
            return name
    widths = ", ".join(str(len(line)) for line in lines) or "none"
    raise MrzError(
        "format",
        f"an MRZ has 3 lines of 30 characters (TD1), 2 of 36 (TD2) or 2 of 44 (TD3); "
        f"this one has {len(lines)} line(s) of {widths}",
    )


def _clean(value: str) -> str:
    return value.replace("<", " ").strip()


def _names(field: str) -> tuple[str, str]:
    """Surname and given names: the primary and secondary identifiers are
    separated by ``<<``; a single ``<`` separates name components."""
    primary, _sep, secondary = field.partition("<<")
    return " ".join(_clean(primary).split()), " ".join(_clean(secondary).split())


def _date(value: str, field: str, label: str, *, today: dt.date, kind: str) -> dt.date | None:
    if set(value) <= {"<"}:
        return None
    if not (value.isascii() and value.isdigit()):
        raise MrzError(field, f"the {label} {value!r} is not a date (YYMMDD)")
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    if kind == "birth":
        # A birth date is in the past: the latest century that keeps it there.
        year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    else:
        # An expiry lies at most a few decades from today, before or after.
        year = 2000 + yy if 2000 + yy - today.year < 50 else 1900 + yy
    try:
        date = dt.date(year, mm, dd)
    except ValueError:
        raise MrzError(field, f"the {label} {value!r} is not a date (YYMMDD)") from None
    if kind == "birth" and date > today:
        try:
            date = date.replace(year=year - 100)
        except ValueError:
            raise MrzError(field, f"the {label} {value!r} is not a date (YYMMDD)") from None
    return date


def _sex(char: str) -> str:
    if char in {"M", "F"}:
        return char
    if char in {"<", "X"}:
        return "X"
    raise MrzError("format", f"the sex field holds {char!r}; M, F, X or < expected")


def _long_number(number: str, digit: str, optional: str) -> tuple[str, str, str]:
    """A number longer than 9 characters (TD1, TD2): its first 9 characters
    fill the number field, whose check digit position holds ``<``; the rest
    of the number and its check digit open the optional data, followed by
    a ``<``. Returns the whole number, its check digit and what remains of
    the optional data."""
    if digit != "<":
        return number, digit, optional
    segment, sep, remainder = optional.partition("<")
    if not sep or len(segment) < 2 or "<" in number:
        raise MrzError(
            "document_number",
            "the document number's check digit is missing (a '<' in its place, with no "
            "long-number continuation in the optional data)",
        )
    return number + segment[:-1], segment[-1], remainder


def mrz_parse(zone: str | list[str] | tuple[str, ...], *, today: dt.date | None = None) -> Mrz:
    """Read a TD1, TD2 or TD3 zone (lines as a list, or one string with
    newlines; spaces and lower case are tolerated) and verify every check
    digit. ``today`` fixes the century of two-digit years (default: today).

    Raises :class:`MrzError` for a zone of the wrong shape, a character
    outside A-Z 0-9 <, a date that does not exist, or a check digit that
    fails, naming the field."""
    lines = _lines(zone)
    kind = _detect(lines)
    for line in lines:
        if not _ALPHABET.match(line):
            bad = next(c for c in line if not re.match(r"[A-Z0-9<]", c))
            raise MrzError("format", f"{bad!r} is not an MRZ character (A-Z, 0-9 and < only)")
    today = today or dt.date.today()
    if kind == "TD1":
        return _parse_td1(lines, today)
    return _parse_td2_td3(lines, kind, today)


def _parse_td1(lines: list[str], today: dt.date) -> Mrz:
    upper, middle, lower = lines
    number, digit, optional = _long_number(upper[5:14], upper[14], upper[15:30])
    _verify("document_number", number, digit, label="document number")
    birth, expiry = middle[0:6], middle[8:14]
    _verify("birth_date", birth, middle[6], label="birth date")
    _verify("expiry_date", expiry, middle[14], label="expiry date")
    composite = upper[5:30] + middle[0:7] + middle[8:15] + middle[18:29]
    _verify("composite", composite, middle[29], label="composite (numbers and dates)")
    surname, given = _names(lower)
    return Mrz(
        format="TD1",
        document_code=upper[0:2].replace("<", ""),
        issuing_state=upper[2:5].replace("<", ""),
        surname=surname,
        given_names=given,
        document_number=number.replace("<", ""),
        nationality=middle[15:18].replace("<", ""),
        birth_date=_date(birth, "birth_date", "birth date", today=today, kind="birth"),
        sex=_sex(middle[7]),
        expiry_date=_date(expiry, "expiry_date", "expiry date", today=today, kind="expiry"),
        optional_data=_clean(optional),
        optional_data_2=_clean(middle[18:29]),
        names_truncated=not lower.endswith("<<"),
    )


def _parse_td2_td3(lines: list[str], kind: str, today: dt.date) -> Mrz:
    upper, lower = lines
    width = len(lower)
    optional_end = width - 2 if kind == "TD3" else width - 1
    optional = lower[28:optional_end]
    if kind == "TD2":
        number, digit, optional = _long_number(lower[0:9], lower[9], optional)
    else:
        number, digit = lower[0:9], lower[9]
    _verify("document_number", number, digit, label="document number")
    birth, expiry = lower[13:19], lower[21:27]
    _verify("birth_date", birth, lower[19], label="birth date")
    _verify("expiry_date", expiry, lower[27], label="expiry date")
    if kind == "TD3":
        _verify("optional_data", lower[28:42], lower[42], label="personal number")
    composite = lower[0:10] + lower[13:20] + lower[21 : width - 1]
    _verify("composite", composite, lower[width - 1], label="composite (numbers and dates)")
    surname, given = _names(upper[5:])
    return Mrz(
        format=kind,
        document_code=upper[0:2].replace("<", ""),
        issuing_state=upper[2:5].replace("<", ""),
        surname=surname,
        given_names=given,
        document_number=number.replace("<", ""),
        nationality=lower[10:13].replace("<", ""),
        birth_date=_date(birth, "birth_date", "birth date", today=today, kind="birth"),
        sex=_sex(lower[20]),
        expiry_date=_date(expiry, "expiry_date", "expiry date", today=today, kind="expiry"),
        optional_data=_clean(optional),
        names_truncated=not upper.endswith("<<"),
    )


# --- Writing a zone -----------------------------------------------------------


def mrz_transliterate(value: str) -> str:
    """A name as the MRZ writes it: accents dropped, upper case, spaces,
    hyphens and apostrophes as ``<`` (ICAO 9303 part 3, simplified: no
    language-specific digraphs such as Ä -> AE)."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    ascii_only = ascii_only.replace("ß", "SS").replace("Ø", "O").replace("Æ", "AE")
    ascii_only = ascii_only.replace("Ł", "L").replace("Đ", "D")
    out = re.sub(r"[\s\-',.]+", "<", ascii_only)
    return re.sub(r"[^A-Z<]", "", out).strip("<")


def _pad(value: str, width: int) -> str:
    if len(value) > width:
        raise ValueError(f"{value!r} does not fit in {width} characters")
    return value + "<" * (width - len(value))


def _yymmdd(date: dt.date | None) -> str:
    return "<<<<<<" if date is None else date.strftime("%y%m%d")


def _name_field(surname: str, given_names: str, width: int) -> str:
    name = mrz_transliterate(surname) + "<<" + mrz_transliterate(given_names)
    return _pad(name[:width], width)


def mrz_build(
    *,
    format: str,
    document_code: str,
    issuing_state: str,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    birth_date: dt.date | None,
    sex: str,
    expiry_date: dt.date | None,
    optional_data: str = "",
    optional_data_2: str = "",
) -> tuple[str, ...]:
    """The lines of a valid zone for these values (names are
    transliterated and truncated to fit). A document number longer than
    9 characters uses the long-number rule in TD1 and TD2; TD3 refuses it.
    Refuses values that do not fit their fields."""
    if format not in FORMATS:
        raise ValueError(f"unknown MRZ format {format!r}")
    code = _pad(document_code, 2)
    state = _pad(issuing_state, 3)
    nat = _pad(nationality, 3)
    sex_char = {"M": "M", "F": "F"}.get(sex, "<")
    birth, expiry = _yymmdd(birth_date), _yymmdd(expiry_date)
    birth_part = birth + check_digit(birth)
    expiry_part = expiry + check_digit(expiry)
    number = document_number.upper()
    if format == "TD3":
        if len(number) > 9:
            raise ValueError("a TD3 document number has at most 9 characters")
        number_part = _pad(number, 9) + check_digit(_pad(number, 9))
        personal = _pad(optional_data, 14)
        personal_check = "<" if set(personal) <= {"<"} else check_digit(personal)
        lower = number_part + nat + birth_part + sex_char + expiry_part + personal + personal_check
        lower += check_digit(lower[0:10] + lower[13:20] + lower[21:43])
        return code + state + _name_field(surname, given_names, 39), lower
    number_field, optional = _number_fields(number, optional_data)
    if format == "TD2":
        optional = _pad(optional, 7)
        lower = number_field + nat + birth_part + sex_char + expiry_part + optional
        lower += check_digit(lower[0:10] + lower[13:20] + lower[21:35])
        return code + state + _name_field(surname, given_names, 31), lower
    upper = code + state + number_field + _pad(optional, 15)
    middle = birth_part + sex_char + expiry_part + nat + _pad(optional_data_2, 11)
    middle += check_digit(upper[5:30] + middle[0:7] + middle[8:15] + middle[18:29])
    return upper, middle, _name_field(surname, given_names, 30)


def _number_fields(number: str, optional: str) -> tuple[str, str]:
    """The 10-character number field (number + check digit) and the
    optional data, with the long-number rule for numbers over 9 characters."""
    if len(number) <= 9:
        padded = _pad(number, 9)
        return padded + check_digit(padded), optional
    return number[:9] + "<", number[9:] + check_digit(number) + "<" + optional
