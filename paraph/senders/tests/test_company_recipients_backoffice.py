"""Company recipients from the sender back office (ADR 35): the form's
enterprise number, the CSV's ``enterprise_number`` column, and the
contract's page naming the company and who signed for it."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.companies import services as companies
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.contracts.models import Contract
from paraph.contracts.services import contract_sign_record
from paraph.contracts.tests.fixtures import signed_version

pytestmark = pytest.mark.django_db

DUPONT = "0812345603"


@pytest.fixture
def office(client: Any, staff: Any, clock: Any) -> Any:
    staff.language = "en"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def anne(person_factory: Any) -> Any:
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


def _form(pdf: bytes, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Contrat de sous-traitance",
        "first_name": "",
        "last_name": "",
        "email": "compta@dupont.be",
        "phone": "",
        "national_number": "",
        "enterprise_number": "BE0812345603",
        "language": "fr",
        "external_reference": "S-1",
        "start_of_work": "2026-12-03T08:00",
        "signing_deadline": "",
        "signature_page": "",
        "pdf": SimpleUploadedFile("c.pdf", pdf, content_type="application/pdf"),
    }
    data.update(overrides)
    return data


def test_staff_send_a_contract_to_a_company_and_see_who_signed_for_it(office, anne, pdf):
    response = office.post("/sender/contracts/new/", _form(pdf))

    assert response.status_code == 302, response.content.decode()[:2000]
    contract = Contract.objects.get()
    assert contract.recipient is None and contract.recipient_company_number == DUPONT
    with contract.document_pdf.open("rb") as handle:
        document = handle.read()
    contract_sign_record(
        contract=contract, person=anne, signed_pdf=signed_version(document), method="eid"
    )
    page = office.get(response["Location"]).content.decode()
    assert "Boulangerie Dupont (enterprise number 0812.345.603)" in page
    assert "Anne Martin (its digital representative)" in page
    listed = office.get("/sender/?q=Dupont").content.decode()
    assert "Boulangerie Dupont" in listed


def test_the_form_refuses_a_person_and_a_company_at_once(office, anne, pdf):
    response = office.post("/sender/contracts/new/", _form(pdf, first_name="Anne"))

    assert response.status_code == 422
    assert "not both" in response.content.decode()
    assert not Contract.objects.exists()


def test_the_form_refuses_a_stopped_or_unknown_company_next_to_its_field(office, anne, pdf):
    response = office.post("/sender/contracts/new/", _form(pdf, enterprise_number="0403617097"))

    assert response.status_code == 422
    assert "has no active company with number 0403.617.097" in response.content.decode()
    assert not Contract.objects.exists()


def test_a_csv_row_with_an_enterprise_number_goes_to_the_company(office, anne, pdf, deliver):
    rows = (
        "first_name;last_name;email;phone;start_of_work;pdf;enterprise_number\n"
        "Jan;Peeters;jan@example.be;0470654321;2026-12-03 08:00;a.pdf;\n"
        ";;compta@dupont.be;;2026-12-03 08:00;a.pdf;0812.345.603\n"
        "Eva;Janssens;eva@example.be;0470111222;2026-12-03 08:00;a.pdf;0812.345.603\n"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("a.pdf", pdf)

    with deliver():
        office.post(
            "/sender/bulk/",
            {
                "csv_file": SimpleUploadedFile("r.csv", rows.encode()),
                "zip_file": SimpleUploadedFile("c.zip", archive.getvalue()),
                "title": "Contrat",
            },
        )

    made = Contract.objects.order_by("pk")
    assert [(c.recipient_company_number, c.recipient_email) for c in made] == [
        ("", "jan@example.be"),
        (DUPONT, "compta@dupont.be"),
    ]
