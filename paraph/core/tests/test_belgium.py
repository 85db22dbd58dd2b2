"""Belgian national register numbers and mobile phone numbers, checked
against numbers built from their definition (property-based)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from paraph.core.belgium import national_number_format, national_number_normalize, phone_normalize

# With the clock at the end of 2099, every birth year 1900-2099 lies in the
# past, as it must for a number to exist; the "2" prefix of the check digits
# (births from 2000 on) then applies to every two-digit year.
END_OF_2099 = dt.datetime(2099, 12, 31, 12, 0, tzinfo=ZoneInfo("Europe/Brussels"))
PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check_digits(first_nine: str, born: int) -> str:
    """The definition: 97 minus the number modulo 97, where births from
    2000 on put a 2 in front of the nine digits."""
    base = int(("2" if born >= 2000 else "") + first_nine)
    return f"{97 - base % 97:02d}"


@st.composite
def national_numbers(draw: st.DrawFn) -> tuple[str, int]:
    """A valid number (11 digits) and its birth year: a birth date from
    1900 to 2099, sometimes with an unknown month or day (00), sometimes a
    BIS number (month + 20 or + 40), and a counter from 001 to 997."""
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)))
    month, day = born.month, born.day
    unknown = draw(st.sampled_from(["none", "month", "day", "both"]))
    if unknown in ("month", "both"):
        month = 0
    if unknown in ("day", "both"):
        day = 0
    month += draw(st.sampled_from([0, 0, 20, 40]))
    counter = draw(st.integers(1, 997))
    first_nine = f"{born.year % 100:02d}{month:02d}{day:02d}{counter:03d}"
    return first_nine + check_digits(first_nine, born.year), born.year


def printed(number: str) -> str:
    return f"{number[0:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:11]}"


@pytest.fixture
def end_of_2099():
    with time_machine.travel(END_OF_2099, tick=False):
        yield


@PROPERTY
@given(national_numbers())
def test_valid_numbers_are_accepted_printed_and_compact(end_of_2099, number_and_year):
    number, _year = number_and_year
    assert national_number_normalize(number) == number
    assert national_number_normalize(printed(number)) == number
    assert national_number_normalize(f" {printed(number).replace('.', ' ')} ") == number
    assert national_number_format(number) == printed(number)


@PROPERTY
@given(national_numbers(), st.integers(0, 10), st.integers(1, 9))
def test_any_single_changed_digit_is_rejected(end_of_2099, number_and_year, position, delta):
    number, year = number_and_year
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1 :]
    try:
        national_number_normalize(changed)
    except ValidationError:
        return
    # The only escape is the scheme's own blind spot: the two centuries' check
    # digits differ by 2 000 000 000 mod 97 = 68 = -(-6 x 10^7) mod 97, so
    # moving the year's last digit by 6 can turn a valid 19xx number into a
    # valid 20xx number with the same check digits (and back).
    assert position == 1 and abs(digit - int(number[position])) == 6, (number, changed)
    other_century = year + (100 if year < 2000 else -100)
    assert check_digits(changed[:9], other_century) == changed[9:]


def test_the_century_blind_spot_is_what_the_property_above_allows(end_of_2099):
    # 1916 and 2010 share check digits once the year's 6 becomes a 0.
    born_1916 = "160101001"
    number = born_1916 + check_digits(born_1916, 1916)
    neighbour = "100101001" + number[9:]
    assert national_number_normalize(neighbour) == neighbour
    assert check_digits("100101001", 2010) == number[9:]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your national register number."),
        ("85.07.30-033.2A", "only digits"),
        ("85.07.30-033.2", "11 digits"),
        ("85.07.30-033.288", "11 digits"),
        ("85.07.30-033.29", "check the last two digits"),
        ("85.13.30-033.xx".replace("xx", check_digits("851330033", 1985)), "date of birth"),
        ("85.33.30-033.xx".replace("xx", check_digits("853330033", 1985)), "date of birth"),
    ],
)
def test_invalid_numbers_get_a_message_that_says_what_is_wrong(typed, message):
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        national_number_normalize(typed)


@PROPERTY
@given(st.text(max_size=20))
@example("85²73003328")  # a superscript: isdigit() says yes, int() fails
@example("8\u0667073003328")  # an Arabic-Indic seven
@example("\uff18\uff15\uff10\uff17\uff13\uff10\uff10\uff13\uff13\uff12\uff18")
def test_any_text_gives_eleven_ascii_digits_or_a_message(end_of_2099, typed):
    try:
        number = national_number_normalize(typed)
    except ValidationError:
        return
    assert len(number) == 11 and number.isascii() and number.isdigit()


def test_digits_of_other_scripts_are_read_and_superscripts_refused(end_of_2099):
    full_width = "".join(chr(0xFF10 + int(d)) for d in "85073003328")
    assert national_number_normalize(full_width) == "85073003328"
    with translation.override("en"), pytest.raises(ValidationError, match="only digits"):
        national_number_normalize("85²73003328")


def test_a_birth_after_today_is_not_a_number_yet(time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, tzinfo=ZoneInfo("Europe/Brussels")))
    born_2030 = "300101001"
    with pytest.raises(ValidationError):
        national_number_normalize(born_2030 + check_digits(born_2030, 2030))
    born_2020 = "200101001"
    assert national_number_normalize(born_2020 + check_digits(born_2020, 2020))


# --- Mobile phone numbers -----------------------------------------------------


def _groups(national: str, sizes: tuple[int, ...]) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(national[i : i + size])
        i += size
    return " ".join(out)


@PROPERTY
@given(st.sampled_from(["47", "48", "49"]), st.text("0123456789", min_size=7, max_size=7))
@example("47", "0123456")
def test_the_usual_ways_of_typing_a_belgian_mobile_give_one_e164(prefix, rest):
    subscriber = prefix + rest  # the 9 digits after the 0: 47x xx xx xx
    e164 = f"+32{subscriber}"
    national = f"0{subscriber}"
    typings = [
        _groups(national, (4, 2, 2, 2)),  # 0470 12 34 56
        national,  # 0470123456
        e164,  # +32470123456
        f"+32 {_groups(subscriber, (3, 2, 2, 2))}",  # +32 470 12 34 56
        f"0032 {_groups(subscriber, (3, 2, 2, 2))}",  # 0032 470 12 34 56
        f"{national[:4]}/{national[4:6]}.{national[6:8]}.{national[8:]}",  # 0470/12.34.56
        f"+32 (0){subscriber}",  # +32 (0)470123456
    ]
    assert {phone_normalize(typed) for typed in typings} == {e164}


@PROPERTY
@given(st.text("0123456789", min_size=0, max_size=6))
def test_numbers_too_short_to_be_a_mobile_are_refused(digits):
    assume(digits.strip())
    with pytest.raises(ValidationError):
        phone_normalize("04" + digits)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your mobile phone number."),
        ("hello", "This is not a phone number."),
        ("0470 12 34", "This phone number does not exist."),
        ("02 664 13 60", "Enter a mobile number"),
        ("+32 470 12 34 56 78 90 12 34 56 78 90 12 34 56", "too long"),
    ],
)
def test_bad_phone_numbers_get_a_message_that_says_what_is_wrong(typed, message):
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        phone_normalize(typed)


def test_foreign_mobiles_keep_their_country():
    assert phone_normalize("+31 6 12345678") == "+31612345678"
    assert phone_normalize("+33 6 12 34 56 78") == "+33612345678"
