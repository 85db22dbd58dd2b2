"""Reading machine-readable zones: ICAO 9303's published specimens, and the
precise error for each kind of damage."""

from __future__ import annotations

import datetime as dt

import pytest

from paraph.identity.providers.idnow.mrz import (
    MrzError,
    check_digit,
    mrz_build,
    mrz_parse,
    mrz_transliterate,
)

# ICAO Doc 9303 specimens (part 4 appendix B: TD3; part 5: TD1, with the
# long document number example; part 6: TD2). They expired in 2012 and
# 1995; `today` is fixed before that so the centuries read as ICAO meant.
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
TD1_LONG_NUMBER = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
)
TODAY = dt.date(2010, 1, 1)


def test_check_digits_of_the_icao_worked_example():
    # Part 3, 4.9: "520727" gives 3; letters count 10-35 and "<" counts 0.
    assert check_digit("520727") == "3"
    assert check_digit("L898902C3") == "6"
    assert check_digit("D23145890") == "7"
    assert check_digit("<<<<<<<<<") == "0"


def test_the_td3_passport_specimen():
    mrz = mrz_parse(TD3, today=TODAY)

    assert mrz.format == "TD3"
    assert mrz.document_kind == "passport"
    assert (mrz.document_code, mrz.issuing_state, mrz.nationality) == ("P", "UTO", "UTO")
    assert (mrz.surname, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.document_number == "L898902C3"
    assert mrz.birth_date == dt.date(1974, 8, 12)
    assert mrz.sex == "F"
    assert mrz.expiry_date == dt.date(2012, 4, 15)
    assert mrz.optional_data == "ZE184226B"


def test_the_td2_specimen():
    mrz = mrz_parse(TD2, today=TODAY)

    assert mrz.format == "TD2"
    assert mrz.document_kind == "identity_card"
    assert mrz.document_number == "D23145890"
    assert (mrz.surname, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.expiry_date == dt.date(2012, 4, 15)


def test_the_td1_identity_card_specimen():
    mrz = mrz_parse(TD1, today=TODAY)

    assert mrz.format == "TD1"
    assert mrz.document_kind == "identity_card"
    assert mrz.document_number == "D23145890"
    assert mrz.birth_date == dt.date(1974, 8, 12)
    assert (mrz.surname, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")


def test_the_td1_long_document_number_continues_in_the_optional_data():
    mrz = mrz_parse(TD1_LONG_NUMBER, today=TODAY)

    assert mrz.document_number == "D23145890734"
    assert mrz.optional_data == ""
    assert (mrz.surname, mrz.given_names) == ("STEVENSON", "PETER JOHN")
    assert mrz.birth_date == dt.date(1934, 7, 12)
    assert mrz.sex == "M"
    assert mrz.expiry_date == dt.date(1995, 7, 12)


def test_a_belgian_eid_card_zone_with_its_twelve_digit_card_number():
    # Belgian cards carry the 12-digit card number (long-number rule; this one
    # passes its mod-97 check) and
    # the national register number in the middle line's optional data.
    lines = mrz_build(
        format="TD1",
        document_code="ID",
        issuing_state="BEL",
        surname="Peeters",
        given_names="Marie Louise",
        document_number="592123456732",
        nationality="BEL",
        birth_date=dt.date(1985, 7, 30),
        sex="F",
        expiry_date=dt.date(2031, 3, 1),
        optional_data_2="85073003328",
    )
    assert lines[0] == "IDBEL592123456<7329<<<<<<<<<<<"

    mrz = mrz_parse("\n".join(lines), today=dt.date(2026, 11, 23))

    assert mrz.document_number == "592123456732"
    assert mrz.optional_data_2 == "85073003328"
    assert (mrz.surname, mrz.given_names) == ("PEETERS", "MARIE LOUISE")


def test_lower_case_spaces_and_surrounding_blank_lines_are_tolerated():
    text = "\n  " + TD3[0].lower() + "  \n" + TD3[1][:20] + " " + TD3[1][20:] + "\n\n"
    assert mrz_parse(text, today=TODAY).document_number == "L898902C3"


@pytest.mark.parametrize(
    ("zone", "field", "message"),
    [
        # One digit of the passport number changed: L898902C3 -> L898912C3.
        (
            (TD3[0], "L898912C36" + TD3[1][10:]),
            "document_number",
            "check digit of the document number does not match",
        ),
        # The birth date's day changed: 740812 -> 740813.
        ((TD3[0], TD3[1][:13] + "7408132" + TD3[1][20:]), "birth_date", "birth date"),
        # The expiry year changed: 120415 -> 130415.
        ((TD3[0], TD3[1][:21] + "1304159" + TD3[1][28:]), "expiry_date", "expiry date"),
        # The personal number changed: ZE184226B -> ZE184227B.
        ((TD3[0], TD3[1][:28] + "ZE184227B" + TD3[1][37:]), "optional_data", "personal number"),
        # Only the composite digit changed.
        ((TD3[0], TD3[1][:43] + "1"), "composite", "composite"),
        # TD1: the document number's check digit changed.
        ((TD1[0][:14] + "8" + TD1[0][15:], *TD1[1:]), "document_number", "document number"),
        # TD1: the optional data (covered by the composite only) changed.
        ((TD1[0][:20] + "5" + TD1[0][21:], *TD1[1:]), "composite", "composite"),
        # TD1 long number: one digit of its continuation changed (734 -> 744).
        (
            ("I<UTOD23145890<7449<<<<<<<<<<<", *TD1_LONG_NUMBER[1:]),
            "document_number",
            "document number",
        ),
        # TD2: the composite changed.
        ((TD2[0], TD2[1][:35] + "7"), "composite", "composite"),
    ],
)
def test_a_failing_check_digit_names_its_field(zone, field, message):
    with pytest.raises(MrzError, match=message) as caught:
        mrz_parse(zone, today=TODAY)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ((TD3[0], TD3[1][:-1]), r"2 line\(s\) of 44, 43"),
        ((TD3[0],), r"1 line\(s\) of 44"),
        ("", "this one has 0 line"),
        ((TD3[0], TD3[1][:5] + "é" + TD3[1][6:]), "not an MRZ character"),
        ((TD3[0].replace("ANNA", "AN-A"), TD3[1]), "'-' is not an MRZ character"),
    ],
)
def test_a_zone_of_the_wrong_shape_or_alphabet_is_refused(zone, message):
    with pytest.raises(MrzError, match=message) as caught:
        mrz_parse(zone, today=TODAY)
    assert caught.value.field == "format"


def test_a_date_that_does_not_exist_is_refused_even_with_a_matching_check_digit():
    birth = "741332"  # 32 December
    lower = TD3[1][:13] + birth + check_digit(birth) + TD3[1][20:43]
    lower += check_digit(lower[0:10] + lower[13:20] + lower[21:43])
    with pytest.raises(MrzError, match="birth date '741332' is not a date") as caught:
        mrz_parse((TD3[0], lower), today=TODAY)
    assert caught.value.field == "birth_date"


def test_a_missing_check_digit_without_a_long_number_is_refused():
    upper = "I<UTOD23145890<<<<<<<<<<<<<<<<"
    with pytest.raises(MrzError, match="check digit is missing") as caught:
        mrz_parse((upper, *TD1[1:]), today=TODAY)
    assert caught.value.field == "document_number"


def test_a_letter_where_a_check_digit_belongs_is_refused():
    with pytest.raises(MrzError, match="is 'X', not a digit") as caught:
        mrz_parse((TD3[0], TD3[1][:19] + "X" + TD3[1][20:]), today=TODAY)
    assert caught.value.field == "birth_date"


@pytest.mark.parametrize(
    ("yymmdd", "today", "expected"),
    [
        ("740812", dt.date(2026, 11, 23), dt.date(1974, 8, 12)),
        ("050101", dt.date(2026, 11, 23), dt.date(2005, 1, 1)),
        ("261123", dt.date(2026, 11, 23), dt.date(2026, 11, 23)),  # born today
        ("261124", dt.date(2026, 11, 23), dt.date(1926, 11, 24)),  # not born tomorrow
        ("270101", dt.date(2026, 11, 23), dt.date(1927, 1, 1)),
    ],
)
def test_the_birth_century_is_the_latest_that_keeps_the_date_in_the_past(yymmdd, today, expected):
    lines = mrz_build(
        format="TD3",
        document_code="P",
        issuing_state="NLD",
        surname="de Vries",
        given_names="Jan",
        document_number="NXC1234A5",
        nationality="NLD",
        birth_date=None,
        sex="M",
        expiry_date=dt.date(2030, 1, 1),
    )
    lower = lines[1][:13] + yymmdd + check_digit(yymmdd) + lines[1][20:43]
    lower += check_digit(lower[0:10] + lower[13:20] + lower[21:43])
    assert mrz_parse((lines[0], lower), today=today).birth_date == expected


def test_expiry_dates_read_in_the_century_closest_to_today():
    def expiry(year: int) -> dt.date | None:
        lines = mrz_build(
            format="TD2",
            document_code="ID",
            issuing_state="D",
            surname="Müller",
            given_names="Jörg",
            document_number="T22000129",
            nationality="D",
            birth_date=dt.date(1964, 8, 12),
            sex="M",
            expiry_date=dt.date(year, 10, 31),
        )
        return mrz_parse(lines, today=dt.date(2026, 11, 23)).expiry_date

    assert expiry(2035) == dt.date(2035, 10, 31)
    assert expiry(2019) == dt.date(2019, 10, 31)
    assert expiry(2074) == dt.date(2074, 10, 31)
    assert expiry(1980) == dt.date(1980, 10, 31)


def test_germany_s_one_letter_code_and_an_unspecified_sex():
    lines = mrz_build(
        format="TD2",
        document_code="ID",
        issuing_state="D",
        surname="Müller",
        given_names="Jörg",
        document_number="T22000129",
        nationality="D",
        birth_date=dt.date(1964, 8, 12),
        sex="X",
        expiry_date=dt.date(2030, 10, 31),
    )
    assert lines[0].startswith("IDD<<MULLER<<JORG<")
    mrz = mrz_parse(lines, today=dt.date(2026, 11, 23))
    assert (mrz.issuing_state, mrz.nationality, mrz.sex) == ("D", "D", "X")


def test_an_empty_personal_number_may_carry_a_filler_or_a_zero_as_check_digit():
    lines = mrz_build(
        format="TD3",
        document_code="P",
        issuing_state="POL",
        surname="Kowalska",
        given_names="Zofia",
        document_number="EA1234567",
        nationality="POL",
        birth_date=dt.date(1990, 3, 14),
        sex="F",
        expiry_date=dt.date(2032, 5, 2),
    )
    assert lines[1][42] == "<"
    zero = lines[1][:42] + "0" + lines[1][43]
    for lower in (lines[1], zero):
        assert mrz_parse((lines[0], lower), today=dt.date(2026, 11, 23)).optional_data == ""


def test_names_are_transliterated_for_the_zone():
    assert mrz_transliterate("Łukasz Żółć-Wąs") == "LUKASZ<ZOLC<WAS"
    assert mrz_transliterate("O'Brien") == "O<BRIEN"
    assert mrz_transliterate("Groß") == "GROSS"


def test_a_long_name_is_truncated_to_fit_and_still_reads():
    lines = mrz_build(
        format="TD1",
        document_code="I",
        issuing_state="ESP",
        surname="de la Santísima Trinidad Fernández",
        given_names="María de los Ángeles",
        document_number="CAA000000",
        nationality="ESP",
        birth_date=dt.date(1980, 1, 1),
        sex="F",
        expiry_date=dt.date(2030, 1, 1),
    )
    assert len(lines[2]) == 30
    mrz = mrz_parse(lines, today=dt.date(2026, 1, 1))
    assert mrz.surname == "DE LA SANTISIMA TRINIDAD FERNA"
    assert mrz.names_truncated
    assert not mrz_parse(TD3, today=TODAY).names_truncated


def test_a_zero_to_letter_change_is_the_known_blind_spot_of_a_check_digit():
    # "0" and "A" both count 10 modulo 10: ICAO's check digit cannot see it.
    # Paraph therefore also compares the zone with the identified person's
    # data (names, birth date), never the check digits alone.
    changed = (TD2[0], "D2314589A" + TD2[1][9:])
    assert mrz_parse(changed, today=TODAY).document_number == "D2314589A"


@pytest.mark.parametrize(
    "digit", ["²", "\u0663", "\uff18"]
)  # superscript, Arabic-Indic, full-width
def test_a_digit_of_another_script_is_an_mrz_error_not_a_crash(digit):
    lines = TD3.splitlines() if isinstance(TD3, str) else list(TD3)
    # the first digit of the birth date, then the check digit of the number
    for line_index, position in ((1, 13), (1, 9)):
        changed = list(lines)
        line = changed[line_index]
        changed[line_index] = line[:position] + digit + line[position + 1 :]
        with pytest.raises(MrzError):
            mrz_parse(changed, today=TODAY)
