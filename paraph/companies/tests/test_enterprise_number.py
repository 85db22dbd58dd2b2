"""The enterprise number: every way people type it gives the same ten
digits, and one enterprise has exactly one number (check 01 to 97), both
where people type it and in the KBO files."""

from __future__ import annotations

import contextlib

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from paraph.companies.kbo_files import ENTERPRISE, KboImportError, RowReader
from paraph.companies.tests.conftest import HEADERS, write_csv
from paraph.core.belgium import enterprise_number_format, enterprise_number_normalize

first_eight = st.integers(0, 19_999_999)


def _valid(stem: int) -> str:
    return f"{stem:08d}{97 - stem % 97:02d}"


@pytest.mark.parametrize(
    "typed", ["BE 0123.456.749", "0123456749", "0123 456 749", "123456749", "be0123-456-749"]
)
def test_the_usual_ways_of_typing_give_the_same_ten_digits(typed):
    assert enterprise_number_normalize(typed) == "0123456749"


@given(first_eight, st.sampled_from(["{}", "BE {}", "BE{}", "{dots}", "BE {dots}", "{spaces}"]))
def test_any_valid_number_in_any_printed_form_gives_its_ten_digits(stem, form):
    digits = _valid(stem)
    typed = form.format(
        digits,
        dots=enterprise_number_format(digits),
        spaces=f"{digits[:4]} {digits[4:7]} {digits[7:]}",
    )
    assert enterprise_number_normalize(typed) == digits


@given(st.integers(0, 9_999_999))
def test_the_old_nine_digit_form_is_the_number_with_a_leading_zero(stem):
    digits = _valid(stem)
    assert enterprise_number_normalize(digits[1:]) == digits


@given(first_eight)
def test_every_eight_digits_have_exactly_one_check_number(stem):
    accepted = []
    for check in range(100):
        with contextlib.suppress(ValidationError):
            accepted.append(enterprise_number_normalize(f"{stem:08d}{check:02d}"))
    assert accepted == [_valid(stem)]


@given(first_eight, st.sampled_from([0, 98, 99]))
def test_the_impossible_check_numbers_are_refused(stem, check):
    with pytest.raises(ValidationError) as refused:
        enterprise_number_normalize(f"{stem:08d}{check:02d}")
    # 0000000000 is refused as no number at all; every other one by its check.
    assert refused.value.code == ("format" if stem == check == 0 else "checksum")


@given(st.text(max_size=20))
def test_any_text_gives_ten_digits_or_a_message(typed):
    try:
        number = enterprise_number_normalize(typed)
    except ValidationError as refused:
        assert refused.code in {"required", "format", "checksum"}
        return
    assert len(number) == 10 and number.isascii() and number.isdigit()
    assert 1 <= int(number[-2:]) <= 97


@given(first_eight, st.integers(0, 99))
def test_the_import_takes_exactly_the_numbers_people_may_type(tmp_path_factory, stem, check):
    folder = tmp_path_factory.mktemp("kbo")
    digits = f"{stem:08d}{check:02d}"
    write_csv(
        folder / "enterprise.csv",
        HEADERS["enterprise"],
        [[enterprise_number_format(digits), "AC", "000", "2", "014", "", "01-01-2001"]],
    )
    try:
        typed = enterprise_number_normalize(digits)
    except ValidationError:
        with pytest.raises(KboImportError, match=r"enterprise.csv, line 2: EnterpriseNumber"):
            list(RowReader(folder / "enterprise.csv", ENTERPRISE))
    else:
        [values] = list(RowReader(folder / "enterprise.csv", ENTERPRISE))
        assert values[0] == typed
