"""Property tests of the MRZ reader: every zone :func:`mrz_build` writes
reads back to the same values, and any one changed character of a checked
field is caught and blamed on that field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paraph.identity.providers.idnow.mrz import MrzError, char_value, mrz_build, mrz_parse

TODAY = dt.date(2026, 11, 23)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
MRZ_CHARS = ALNUM + "<"

# At most 2 words of 6 letters each for surname and given names: always fits TD1.
words = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=6)
states = st.one_of(st.just("D"), st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3))
# Born less than 100 years ago (two digits cannot tell a centenarian from a baby).
birth_dates = st.one_of(
    st.none(),
    st.dates(
        min_value=TODAY.replace(year=TODAY.year - 100) + dt.timedelta(days=1), max_value=TODAY
    ),
)
# Expiry within the 100 years the two-digit year is read in.
expiry_dates = st.one_of(
    st.none(), st.dates(min_value=dt.date(1976, 1, 1), max_value=dt.date(2075, 12, 31))
)

WIDTH = {"TD1": 15, "TD2": 7, "TD3": 14}  # optional data (upper line for TD1)


@st.composite
def documents(draw: Any, *, numbers: str = "any") -> dict[str, Any]:
    """``numbers``: "short" (up to 9 characters), "long" (10 to 12, TD1 and
    TD2 only) or "any"."""
    fmt = draw(st.sampled_from(["TD1", "TD2"] if numbers == "long" else ["TD1", "TD2", "TD3"]))
    optional_width = WIDTH[fmt]
    surname = " ".join(draw(st.lists(words, min_size=1, max_size=2)))
    given_names = " ".join(draw(st.lists(words, min_size=0, max_size=2)))
    sizes = {"short": (1, 9), "long": (10, 12), "any": (1, 9 if fmt == "TD3" else 12)}[numbers]
    number = draw(st.text(ALNUM, min_size=sizes[0], max_size=sizes[1]))
    if len(number) > 9:
        optional_width -= len(number) - 9 + 2  # continuation, check digit, filler
    code = draw(
        st.sampled_from(["P", "PD", "PO"] if fmt == "TD3" else ["I", "ID", "IR", "AC", "C"])
    )
    return {
        "format": fmt,
        "document_code": code,
        "issuing_state": draw(states),
        "surname": surname,
        "given_names": given_names,
        "document_number": number,
        "nationality": draw(states),
        "birth_date": draw(birth_dates),
        "sex": draw(st.sampled_from(["M", "F", "X"])),
        "expiry_date": draw(expiry_dates),
        "optional_data": draw(st.text(ALNUM, max_size=optional_width)),
        "optional_data_2": draw(st.text(ALNUM, max_size=11)) if fmt == "TD1" else "",
    }


@settings(max_examples=300)
@given(documents())
def test_a_built_zone_reads_back_to_the_same_values(doc):
    mrz = mrz_parse(mrz_build(**doc), today=TODAY)

    assert mrz.format == doc["format"]
    assert mrz.document_code == doc["document_code"]
    assert mrz.issuing_state == doc["issuing_state"]
    assert mrz.nationality == doc["nationality"]
    assert mrz.surname == doc["surname"]
    assert mrz.given_names == doc["given_names"]
    assert mrz.document_number == doc["document_number"]
    assert mrz.birth_date == doc["birth_date"]
    assert mrz.expiry_date == doc["expiry_date"]
    assert mrz.sex == doc["sex"]
    assert mrz.optional_data == doc["optional_data"]
    assert mrz.optional_data_2 == doc["optional_data_2"]


def checked_positions(fmt: str) -> dict[tuple[int, int], str]:
    """(line, column) of every character under a check digit, with the
    field whose check must fail when it changes (short document numbers)."""
    fields: dict[tuple[int, int], str] = {}

    def mark(line: int, start: int, end: int, field: str) -> None:
        for column in range(start, end):
            fields[(line, column)] = field

    if fmt == "TD1":
        mark(0, 5, 15, "document_number")
        mark(0, 15, 30, "composite")  # optional data: the composite covers it
        mark(1, 0, 7, "birth_date")
        mark(1, 8, 15, "expiry_date")
        mark(1, 18, 30, "composite")
    else:
        width = 44 if fmt == "TD3" else 36
        mark(1, 0, 10, "document_number")
        mark(1, 13, 20, "birth_date")
        mark(1, 21, 28, "expiry_date")
        if fmt == "TD3":
            mark(1, 28, 43, "optional_data")
        else:
            mark(1, 28, 35, "composite")
        mark(1, width - 1, width, "composite")
    return fields


@settings(max_examples=500)
@given(documents(numbers="short"), st.data())
def test_any_changed_character_of_a_checked_field_is_caught_and_named(doc, data):
    lines = list(mrz_build(**doc))
    positions = checked_positions(doc["format"])
    line, column = data.draw(st.sampled_from(sorted(positions)))
    original = lines[line][column]
    # A check digit sees a change only when the values differ modulo 10
    # ("0", "A", "K", "U" and "<" all count 0): test_mrz.py shows the blind spot.
    replacement = data.draw(
        st.sampled_from([c for c in MRZ_CHARS if char_value(c) % 10 != char_value(original) % 10])
    )
    lines[line] = lines[line][:column] + replacement + lines[line][column + 1 :]

    with pytest.raises(MrzError) as caught:
        mrz_parse(lines, today=TODAY)

    assert caught.value.field == positions[(line, column)]


@settings(max_examples=200)
@given(documents(numbers="long"), st.data())
def test_any_changed_character_of_a_long_document_number_is_caught(doc, data):
    lines = list(mrz_build(**doc))
    line = 0 if doc["format"] == "TD1" else 1
    number_start, continuation_start = (5, 15) if doc["format"] == "TD1" else (0, 28)
    # The number's first 9 characters and the "<" in place of its check
    # digit; then, in the optional data, the continuation and the check digit.
    columns = [*range(number_start, number_start + 10)]
    columns += range(continuation_start, continuation_start + len(doc["document_number"]) - 9 + 1)
    column = data.draw(st.sampled_from(columns))
    original = lines[line][column]
    replacement = data.draw(
        st.sampled_from([c for c in MRZ_CHARS if char_value(c) % 10 != char_value(original) % 10])
    )
    lines[line] = lines[line][:column] + replacement + lines[line][column + 1 :]

    with pytest.raises(MrzError) as caught:
        mrz_parse(lines, today=TODAY)

    # Changing the "<" marker or the continuation's end can move where the
    # number seems to end: then the composite is what notices.
    assert caught.value.field in {"document_number", "composite"}
