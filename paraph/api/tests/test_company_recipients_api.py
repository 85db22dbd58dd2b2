"""Company recipients through the API (ADR 35): created, listed and read
like people's contracts, with the same states and history; a person and a
company, or neither, refused as an RFC 9457 problem; described by the
OpenAPI document; in bulk too."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.companies import services as companies
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.contracts.models import Contract
from paraph.contracts.services import contract_open, contract_sign_record
from paraph.contracts.tests.fixtures import contract_json, signed_version

pytestmark = pytest.mark.django_db

DUPONT = "0812345603"


@pytest.fixture
def anne(person_factory: Any) -> Any:
    """Boulangerie Dupont's digital representative."""
    companies.kbo_import(directory=DEMO_KBO_DIR)
    person = person_factory(
        first_name="Anne",
        last_name="Martin",
        email="anne.martin@example.be",
        national_number="85073003328",
        assurance_level=AssuranceLevel.HIGH,
        registration_method=RegistrationMethod.ITSME,
    )
    companies.company_register(person=person, number=DUPONT, language="fr")
    return person


def _company_json(pdf: bytes, number: str = "BE 0812.345.603", **extra: Any) -> dict[str, Any]:
    body = contract_json(pdf, **extra)
    body.pop("recipient")
    body["company"] = {"enterprise_number": number, "email": "compta@dupont.be"}
    return body


def test_a_contract_to_a_company_is_made_listed_and_read_like_a_person_s(api, anne, pdf, clock):
    response = api.post("/api/contracts", _company_json(pdf), content_type="application/json")

    assert response.status_code == 201, response.content
    made = response.json()
    assert made["status"] == "sent"
    assert made["recipient"] is None
    assert made["company"] == {
        "enterprise_number": "0812.345.603",
        "name": "Boulangerie Dupont",
        "email": "compta@dupont.be",
        "signed_by": None,
    }
    contract = Contract.objects.get(public_id=made["id"])
    contract_open(contract=contract, person=anne)
    with contract.document_pdf.open("rb") as handle:
        document = handle.read()
    contract_sign_record(
        contract=contract, person=anne, signed_pdf=signed_version(document), method="eid"
    )

    detail = api.get(f"/api/contracts/{made['id']}").json()
    assert detail["status"] == "signed"
    assert detail["company"]["signed_by"] == {"name": "Anne Martin", "role": "representative"}
    assert [e["event"] for e in detail["history"]] == ["created", "sent", "opened", "signed"]
    assert detail["history"][-1]["actor"]
    listed = api.get("/api/contracts").json()["results"]
    assert [c["company"]["name"] for c in listed] == ["Boulangerie Dupont"]
    found = api.get("/api/contracts", {"recipient_email": "compta@dupont.be"}).json()
    assert found["count"] == 1
    by_number = api.get("/api/contracts", {"enterprise_number": "BE 0812.345.603"}).json()
    assert by_number["count"] == 1
    assert api.get("/api/contracts", {"enterprise_number": "0403.617.097"}).json()["count"] == 0
    evidence = api.get(f"/api/contracts/{made['id']}/evidence").json()
    assert evidence["signature"]["signed_by"]["role"] == "representative"
    assert evidence["signature"]["for_company"]["enterprise_number"] == DUPONT


@pytest.mark.parametrize("shape", ["both", "neither"])
def test_a_person_and_a_company_or_neither_is_a_problem(api, anne, pdf, clock, sender, shape):
    body = contract_json(pdf)
    if shape == "both":
        body["company"] = {"enterprise_number": DUPONT, "email": "compta@dupont.be"}
    else:
        body.pop("recipient")

    response = api.post("/api/contracts", body, content_type="application/json")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response["Content-Language"] == sender.language
    problem = response.json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("recipient", "person_or_company")
    ]
    assert not Contract.objects.exists()


def test_an_invalid_enterprise_number_is_a_problem_on_its_field(api, anne, pdf, clock):
    response = api.post(
        "/api/contracts",
        _company_json(pdf, number="0812.345.699"),
        content_type="application/json",
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("company.enterprise_number", "checksum")]


def test_a_company_field_of_the_wrong_type_is_reported_with_the_others(api, anne, pdf, clock):
    body = _company_json(pdf, number="12")
    body["company"]["email"] = "not an address"
    body["signature"] = {"page": "x"}

    response = api.post("/api/contracts", body, content_type="application/json")

    fields = {e["field"] for e in response.json()["errors"]}
    assert {"signature.page", "company.email", "company.enterprise_number"} <= fields


def test_the_openapi_document_describes_a_person_or_a_company(api):
    schema = api.get("/api/openapi.json").json()["components"]["schemas"]

    contract_in = schema["ContractIn"]
    assert set(contract_in["properties"]) >= {"recipient", "company"}
    assert contract_in["oneOf"] == [
        {"required": ["recipient"], "not": {"required": ["company"]}},
        {"required": ["company"], "not": {"required": ["recipient"]}},
    ]
    assert set(schema["CompanyRecipientIn"]["properties"]) == {
        "enterprise_number",
        "email",
        "language",
    }
    assert "company" in schema["ContractOut"]["properties"]


def test_a_bulk_request_may_hold_company_contracts(api, anne, pdf, clock, deliver):
    contracts = [_company_json(pdf), _company_json(pdf, number="0403.617.097")]

    with deliver():
        response = api.post(
            "/api/batches", {"contracts": contracts}, content_type="application/json"
        )

    assert response.status_code == 202, response.content
    batch = api.get(response["Location"]).json()
    assert (batch["succeeded"], batch["failed"]) == (1, 1)
    assert batch["items"][1]["errors"][0]["field"] == "company.enterprise_number"
    assert batch["items"][1]["errors"][0]["code"] == "unknown"
    made = Contract.objects.get()
    assert made.recipient_company_number == DUPONT
    assert made.created_at <= timezone.now()
