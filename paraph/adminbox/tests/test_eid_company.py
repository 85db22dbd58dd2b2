"""Signing a company's contract with the eID card (ADR 35): Jan, a user of
Boulangerie Dupont allowed to sign, acting for it, signs with his virtual
card; the stamp and the signature say for which company; acting for
himself, he does not find the contract."""

# The fixtures imported from test_eid_fixtures are used as test arguments.
# ruff: noqa: F403, F405

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.adminbox.tests.test_eid_fixtures import *
from paraph.companies import services as companies
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.middleware import ACTING_SESSION_KEY
from paraph.companies.models import CompanyUser
from paraph.contracts.inputs import ContractIn
from paraph.contracts.services import ContractData, contract_create
from paraph.contracts.tests.companies import LABEL, stamp_text
from paraph.contracts.tests.fixtures import contract_fields
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db(transaction=True)

DUPONT = "0812345603"
HIGH = {
    "assurance_level": AssuranceLevel.HIGH,
    "registration_method": RegistrationMethod.EID,
}


def _acting(client: Any, number: str) -> None:
    session = client.session
    session[ACTING_SESSION_KEY] = number
    session.save()


def test_a_user_allowed_to_sign_signs_for_the_company_with_the_card(
    cards, holder, signer, sender, pdf
):
    companies.kbo_import(directory=DEMO_KBO_DIR)
    anne = holder("card1", **HIGH)
    jan = holder("card2", **HIGH)
    company, _ = companies.company_register(person=anne, number=DUPONT, language="en")
    CompanyUser.objects.create(company=company, person=jan, can_sign=True, added_at=timezone.now())
    fields = contract_fields(start_of_work=(timezone.now() + dt.timedelta(days=30)).isoformat())
    fields.pop("recipient")
    fields["company"] = {"enterprise_number": DUPONT, "email": "compta@dupont.be"}
    contract = contract_create(
        sender=sender, data=ContractData.from_input(ContractIn.model_validate(fields)), pdf=pdf
    )
    client = signer(jan)

    # acting for himself, the contract is not his
    _acting(client, "")
    assert prepare(client, contract, "card2").status_code == 404

    _acting(client, DUPONT)
    page = client.get(page_url(contract)).content.decode()
    assert f"You sign for {LABEL}, in your own name" in page
    answer = sign(client, contract, "card2")

    assert answer.status_code == 200, answer.content
    contract.refresh_from_db()
    assert (contract.status, contract.signed_by, contract.signer_role) == ("signed", jan, "user")
    with contract.signed_pdf.open("rb") as handle:
        data = handle.read()
    assert stamp_text(data).startswith(f"Jan Peeters / for {LABEL} / Signed with an eID card")
    signature = PdfFileReader(io.BytesIO(data)).embedded_regular_signatures[-1]
    assert signature.sig_object["/Reason"] == f"Signed for {LABEL}"
    report = signature_report(data)
    assert report.valid and report.signed[-1].signer_national_number == CARDS["card2"]
