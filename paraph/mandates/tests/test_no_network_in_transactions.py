"""No time-stamp, OCSP or CRL request is made while a database transaction
is open: others would wait on its locks (a mandate's, a contract's, a code's)
for as long as an outside service takes to answer, up to its time-out. The
card's paths are checked in ``test_eid.py`` and ``adminbox``'s
``test_eid_sign.py``; here: a contract sealed when it is sent, a mandate
signed with a code (sealed), a contract signed with the password."""

from __future__ import annotations

import pytest

from paraph.mandates import services
from paraph.mandates.tests.conftest import PASSWORD, verified

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_contract_is_sealed_before_its_transaction(make_contract, outside_calls):
    contract = make_contract()

    assert contract.status == "sent"
    assert ("time-stamp", False) in outside_calls
    assert [call for call in outside_calls if call[1]] == []


def test_a_mandate_signed_with_a_code_is_sealed_outside_any_transaction(
    person_factory, fixed_code, outside_calls
):
    person = verified(person_factory())
    mandate = services.mandate_start(person=person)
    token = services.mandate_code_send(mandate=mandate, channel="sms")

    check = services.mandate_sign_with_code(mandate=mandate, binding_token=token, value=fixed_code)

    assert check.outcome == "ok"
    mandate.refresh_from_db()
    assert mandate.status == "signed" and mandate.signed_with == "sms_code"
    assert ("time-stamp", False) in outside_calls
    assert [call for call in outside_calls if call[1]] == []


def test_a_contract_signed_with_the_password_is_signed_outside_any_transaction(
    person_factory, mandate_for, make_contract, outside_calls
):
    person = verified(person_factory(email="anne@example.org"))
    mandate_for(person)
    contract = make_contract(recipient={"email": "anne@example.org", "phone": person.phone})
    outside_calls.clear()  # the seal of the contract is the test above's business

    signed = services.contract_sign_with_password(
        contract=contract, person=person, password=PASSWORD
    )

    assert signed.status == "signed"
    assert ("time-stamp", False) in outside_calls
    assert [call for call in outside_calls if call[1]] == []
