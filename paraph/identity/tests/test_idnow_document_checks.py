"""Paraph's own checks of the document behind an IDnow success, and the
claims a checked success gives (RG-13: substantial assurance)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import translation

from paraph.audit.models import AuditEvent
from paraph.identity.models import IdnowIdentification
from paraph.identity.providers import IdentityError, IdentityPending
from paraph.identity.providers.idnow.checks import (
    IdnowPayload,
    idnow_document_check,
)
from paraph.identity.providers.idnow.mrz import mrz_build
from paraph.identity.providers.idnow.provider import IdnowProvider, idnow_claims
from paraph.identity.providers.idnow.services import (
    idnow_identification_create,
    idnow_result_apply,
)
from paraph.identity.tests.idnow_peer import TODAY, idnow_result, polish_mrz


def check(**kwargs):
    return idnow_document_check(IdnowPayload.parse(idnow_result("T1", **kwargs)), today=TODAY)


def test_a_good_polish_passport_passes():
    result = check()
    assert (result.ok, result.code) == (True, "")
    assert result.data["mrz_format"] == "TD3"


def test_a_document_that_expired_yesterday_is_refused():
    yesterday = TODAY - dt.timedelta(days=1)
    result = check(
        document={"validuntil": yesterday.isoformat()}, mrz=polish_mrz(expiry_date=yesterday)
    )
    assert result.code == "document_expired"
    assert result.reason == "the document expired on 2026-11-22"


def test_a_document_valid_until_today_passes():
    result = check(document={"validuntil": TODAY.isoformat()}, mrz=polish_mrz(expiry_date=TODAY))
    assert result.ok


def test_an_expired_mrz_is_refused_even_when_idnow_gives_no_expiry():
    result = check(document={"validuntil": ""}, mrz=polish_mrz(expiry_date=dt.date(2020, 1, 1)))
    assert result.code == "document_expired"


def test_an_mrz_with_a_bad_check_digit_is_refused_naming_the_field():
    upper, lower = polish_mrz().splitlines()
    bad = lower[:19] + str((int(lower[19]) + 1) % 10) + lower[20:]  # birth date's digit
    result = check(mrz=f"{upper}\n{bad}")
    assert result.code == "mrz_invalid"
    assert result.reason.startswith("MRZ, birth_date: the check digit of the birth date")


def test_an_identity_card_zone_on_a_passport_is_refused():
    td1 = "\n".join(
        mrz_build(
            format="TD1",
            document_code="ID",
            issuing_state="POL",
            surname="Kowalska",
            given_names="Zofia Anna",
            document_number="EA1234567",
            nationality="POL",
            birth_date=dt.date(1990, 3, 14),
            sex="F",
            expiry_date=dt.date(2032, 5, 2),
        )
    )
    assert check(mrz=td1).code == "mrz_invalid"


def test_a_surname_that_differs_from_the_mrz_is_refused():
    result = check(person={"lastname": "Nowak"})
    assert (result.code, result.reason) == (
        "name_mismatch",
        "the MRZ's surname differs from the identified one",
    )


def test_given_names_that_differ_from_the_mrz_are_refused():
    assert check(person={"firstname": "Maria"}).code == "name_mismatch"


def test_a_birth_date_that_differs_from_the_mrz_is_refused():
    result = check(person={"birthday": "1990-03-15"})
    assert result.code == "birth_date_mismatch"
    assert "1990-03-14" in result.reason


def test_a_document_number_that_differs_from_the_mrz_is_refused():
    assert check(document={"number": "EA7654321"}).code == "document_number_mismatch"


def test_an_expiry_that_differs_from_the_mrz_is_refused():
    assert check(document={"validuntil": "2033-05-02"}).code == "expiry_mismatch"


@pytest.mark.parametrize(
    ("country", "kind"),
    [("BE", "PASSPORT"), ("US", "IDCARD"), ("XX", "PASSPORT"), ("PL", "DRIVERSLICENSE")],
)
def test_a_document_not_on_the_accepted_list_is_refused(country, kind):
    assert check(document={"country": country, "type": kind}, mrz=None).code == (
        "document_not_accepted"
    )


@pytest.mark.parametrize(
    ("person", "document"),
    [({"birthday": ""}, {}), ({"firstname": "", "lastname": ""}, {}), ({}, {"type": ""})],
)
def test_missing_data_is_refused_as_incomplete(person, document):
    assert check(person=person, document=document, mrz=None).code == "incomplete_data"


def test_without_an_mrz_the_other_checks_still_apply():
    assert check(mrz=None).ok
    assert check(mrz=None, document={"validuntil": "2020-01-01"}).code == "document_expired"


def test_names_are_compared_the_way_an_mrz_writes_them():
    # A German identity card writes Müller as MUELLER; IDnow reads "Müller".
    zone = "\n".join(
        mrz_build(
            format="TD1",
            document_code="ID",
            issuing_state="D",
            surname="Mueller-Luedenscheidt",
            given_names="Jörg Peter",
            document_number="T22000129",
            nationality="D",
            birth_date=dt.date(1964, 8, 12),
            sex="M",
            expiry_date=dt.date(2031, 10, 31),
        )
    )
    result = check(
        person={"firstname": "Jörg", "lastname": "Müller-Lüdenscheidt", "birthday": "1964-08-12"},
        document={
            "type": "IDCARD",
            "country": "DE",
            "number": "T22000129",
            "validuntil": "2031-10-31",
        },
        mrz=zone,
    )
    assert result.ok, result.reason


def test_a_name_cut_short_by_a_full_name_field_still_matches():
    long_surname = "Wierzbicka-Szczepańska-Konstantynowicz"
    result = check(
        person={"lastname": long_surname},
        mrz=polish_mrz(surname=long_surname),
    )
    assert result.ok, result.reason


# --- What a checked success turns into ------------------------------------------


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def identification(db):
    return idnow_identification_create(
        transaction_number="PRFT2",
        ident_id="TST-00042",
        country="PL",
        document_type="passport",
        attempt=None,
        sandbox=False,
    )


def apply(result: str, **kwargs):
    payload = IdnowPayload.parse(idnow_result("PRFT2", result, ident_id="TST-00042", **kwargs))
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        return idnow_result_apply(payload=payload, source="webhook", today=TODAY)


def test_a_failed_check_turns_a_success_into_an_audited_refusal(identification):
    apply("SUCCESS", person={"birthday": "1990-03-15"})

    identification.refresh_from_db()
    assert identification.status == "SUCCESS"  # IDnow's verdict, as IDnow gave it
    assert identification.document["check"]["code"] == "birth_date_mismatch"
    (event,) = AuditEvent.objects.filter(name="identity.idnow.refused")
    assert event.data["code"] == "birth_date_mismatch"
    with pytest.raises(IdentityError) as caught:
        idnow_claims(identification)
    assert caught.value.code == "birth_date_mismatch"
    assert "birth date" in caught.value.message


def test_the_claims_of_a_checked_success_are_substantial_and_carry_the_document(identification):
    """RG-13: IDnow proves an identity at the substantial level only."""
    apply("SUCCESS_DATA_CHANGED")
    identification.refresh_from_db()

    claims = idnow_claims(identification)

    assert claims.method == "idnow"
    assert claims.assurance == "substantial"
    assert claims.subject == "TST-00042"
    assert (claims.given_name, claims.family_name) == ("Zofia Anna", "Kowalska")
    assert claims.birth_date == dt.date(1990, 3, 14)
    assert claims.nationality == "PL"
    assert claims.national_number is None
    assert claims.document == {
        "type": "passport",
        "number": "EA1234567",
        "country": "PL",
        "expiry": "2032-05-02",
    }
    assert claims.email == "zofia.kowalska@example.pl"
    assert claims.sandbox is False


def test_a_belgian_document_gives_its_national_number(identification, settings):
    # Belgian documents are not on the list (RG-10); if an operator adds
    # them, the national number of a Belgian MRZ reaches the claims.
    from paraph.identity.providers.idnow import documents as idnow_documents

    zone = "\n".join(
        mrz_build(
            format="TD3",
            document_code="P",
            issuing_state="BEL",
            surname="Peeters",
            given_names="Marie",
            document_number="EM123456",
            nationality="BEL",
            birth_date=dt.date(1985, 7, 30),
            sex="F",
            expiry_date=dt.date(2030, 1, 1),
            optional_data="85073003328",
        )
    )
    listed = idnow_documents.accepted_documents()
    belgium = idnow_documents.AcceptedCountry("BE", {"en": "Belgium"}, ("passport",))
    with_belgium = dataclasses.replace(listed, countries=(*listed.countries, belgium))
    with mock.patch(
        "paraph.identity.providers.idnow.checks.accepted_documents", return_value=with_belgium
    ):
        apply(
            "SUCCESS",
            person={"firstname": "Marie", "lastname": "Peeters", "birthday": "1985-07-30"},
            document={"country": "BE", "number": "EM123456", "validuntil": "2030-01-01"},
            mrz=zone,
        )
    identification.refresh_from_db()
    assert idnow_claims(identification).national_number == "85073003328"


@pytest.mark.parametrize(
    ("result", "code"),
    [
        ("FRAUD_SUSPICION_CONFIRMED", "fraud_suspicion_confirmed"),
        ("CANCELED", "canceled"),
        ("ABORTED", "aborted"),
    ],
)
def test_a_failed_identification_gives_no_claims(identification, result, code):
    apply(result)
    identification.refresh_from_db()
    with pytest.raises(IdentityError) as caught:
        idnow_claims(identification)
    assert caught.value.code == code


@pytest.mark.parametrize("result", ["REVIEW_PENDING", "CHECK_PENDING", "FRAUD_SUSPICION_PENDING"])
def test_a_pending_identification_is_pending(identification, result):
    apply(result)
    identification.refresh_from_db()
    with pytest.raises(IdentityPending):
        idnow_claims(identification)


def test_a_started_identification_is_pending(identification):
    with pytest.raises(IdentityPending):
        idnow_claims(identification)


def test_an_identification_already_used_for_a_registration_gives_no_claims(identification, person):
    apply("SUCCESS")
    IdnowIdentification.objects.filter(pk=identification.pk).update(person=person)
    identification.refresh_from_db()
    with pytest.raises(IdentityError) as caught:
        idnow_claims(identification)
    assert caught.value.code == "already_used"


@pytest.mark.parametrize("purpose", ["login", "step_up"])
def test_idnow_serves_registration_only(purpose, db):
    """RG-13: people registered with IDnow log in with the SMS code; IDnow
    offers no log-in or step-up path."""
    request = RequestFactory().get("/")
    with pytest.raises(IdentityError) as caught:
        IdnowProvider().start(request, purpose=purpose)
    assert caught.value.code == "register_only"
    assert "SMS" in caught.value.message
