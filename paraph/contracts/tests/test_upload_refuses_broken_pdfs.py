"""An upload (API, back office, bulk) is accepted only if Paraph can read
it strictly, seal it and validate the sealed result: a page tree that
loops or names a missing page, an object named but missing, a stream cut
short are refused with a precise reason, and nothing is written. A
contract signed before these checks existed still gets its report."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from paraph.accounts.models import Person
from paraph.audit.models import AuditEvent
from paraph.contracts.inputs import ContractIn
from paraph.contracts.models import BulkItem, Contract, ContractEvent
from paraph.contracts.services import (
    BulkEntry,
    ContractData,
    ContractUnavailable,
    batch_create,
    contract_create,
)
from paraph.contracts.tests.fixtures import contract_fields, contract_json
from paraph.core.storage import stored_names
from paraph.signing import services as signing_services
from paraph.signing.selectors import signature_report
from paraph.signing.tests import hostilepdfs
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = pytest.mark.django_db

RECIPIENT = "anne.martin@example.be"

# Each broken upload, the code of its refusal and words of its message.
BROKEN: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "page-tree-cycle": (hostilepdfs.page_tree_cycle, "page_tree", "list of pages is broken"),
    "page-missing": (hostilepdfs.page_tree_missing_object, "page_tree", "list of pages is broken"),
    "annotation-missing": (
        hostilepdfs.annotation_missing_object,
        "malformed",
        "does not follow the PDF standard",
    ),
    "stream-without-endstream": (
        lambda: hostilepdfs.cut_endstream(contract_pdf(pages=2)),
        "damaged",
        "damaged and cannot be read",
    ),
}


def _nothing_written() -> None:
    assert not Contract.objects.exists()
    assert not ContractEvent.objects.exists()
    assert not Person.objects.filter(email=RECIPIENT).exists()
    assert not AuditEvent.objects.filter(name__startswith="contracts.").exists()
    assert stored_names(default_storage) == []


@pytest.mark.parametrize("kind", list(BROKEN))
def test_the_api_refuses_a_broken_pdf_with_a_problem_and_writes_nothing(api, clock, kind):
    make, code, words = BROKEN[kind]

    response = api.post(
        "/api/contracts",
        contract_json(make()),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/api/problems#validation")
    (error,) = body["errors"]
    assert (error["field"], error["code"]) == ("pdf", code)
    assert words in error["message"]
    _nothing_written()
    # Refused before the seal: not even the seal's audit event.
    assert not AuditEvent.objects.filter(name="signing.seal.applied").exists()


def test_without_the_seal_a_looping_page_tree_is_refused_all_the_same(api, clock, settings):
    settings.CONTRACT_SEAL = False

    response = api.post(
        "/api/contracts",
        contract_json(hostilepdfs.page_tree_cycle()),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("pdf", "page_tree")]
    _nothing_written()


def test_the_back_office_says_it_next_to_the_field_in_the_staff_members_language(
    client, staff, clock
):
    staff.language = "fr"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    form = {
        "title": "Contrat intérimaire",
        "first_name": "Anne",
        "last_name": "Martin",
        "email": RECIPIENT,
        "phone": "0470 12 34 56",
        "national_number": "",
        "language": "fr",
        "external_reference": "W-1",
        "start_of_work": (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "signing_deadline": "",
        "signature_page": "",
        "pdf": SimpleUploadedFile(
            "c.pdf", hostilepdfs.page_tree_cycle(), content_type="application/pdf"
        ),
    }

    response = client.post("/sender/contracts/new/", form, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_pdf_error"' in html and 'aria-invalid="true"' in html
    assert "La liste des pages du PDF est cassée" in html
    assert not Contract.objects.exists()


def test_a_bulk_send_explains_the_broken_pdf_and_makes_the_others(
    sender, staff, pdf, clock, deliver
):
    entries = [
        BulkEntry(data=contract_fields(recipient={"email": "one@example.be"}), pdf=pdf),
        BulkEntry(
            data=contract_fields(recipient={"email": "two@example.be"}),
            pdf=hostilepdfs.page_tree_cycle(),
        ),
    ]
    with deliver():
        batch = batch_create(sender=sender, entries=entries, source="csv", actor=staff)

    batch.refresh_from_db()
    assert (batch.succeeded, batch.failed) == (1, 1)
    refused = BulkItem.objects.get(batch=batch, index=1)
    assert [(e["field"], e["code"]) for e in refused.errors] == [("pdf", "page_tree")]
    assert refused.contract is None
    assert list(Contract.objects.values_list("recipient_email", flat=True)) == ["one@example.be"]


def test_a_seal_that_paraphs_own_validator_does_not_trust_sends_nothing(
    sender, pdf, clock, settings
):
    # A trust configuration that leaves out the root of Paraph's own seal:
    # the sealed document does not validate, which is Paraph's fault, not
    # the sender's PDF's.
    from paraph.identity.providers.eid import sandbox as eid_sandbox

    settings.SIGNING_LEVEL = "B-T"  # B-LT and B-LTA need the seal's path while sealing
    settings.SIGNING_TRUST_ROOTS = [str(eid_sandbox.sandbox_dir() / "root.pem")]
    data = ContractData.from_input(ContractIn.model_validate(contract_fields()))

    with pytest.raises(ContractUnavailable) as refused:
        contract_create(sender=sender, data=data, pdf=pdf)

    assert refused.value.code == "seal_unavailable"
    _nothing_written()


def test_a_contract_signed_before_these_checks_still_gets_its_report(make_contract, clock):
    # Accepted and signed before uploads were checked: a looping page tree,
    # then two signatures (the second revision makes the first one's check
    # walk the pages).
    contract = make_contract(recipient={"email": RECIPIENT})
    signed = hostilepdfs.page_tree_cycle()
    for _ in range(2):
        signed = signing_services.seal_apply(document=signed, document_ref="c", certify=False)
    name = default_storage.save(f"contracts/{contract.public_id}/signed.pdf", ContentFile(signed))
    Contract.objects.filter(pk=contract.pk).update(
        status="signed",
        signed_pdf=name,
        signed_sha256=hashlib.sha256(signed).hexdigest(),
        signed_at=timezone.now(),
        signing_method="password",
    )
    client = Client()
    client.cookies["paraph_language"] = "en"
    Person.objects.filter(pk=contract.recipient.pk).update(language="en")
    client.force_login(contract.recipient)

    response = client.get(f"/adminbox/contract/{contract.public_id}/report/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "This document's signatures are NOT all valid" in page
    assert "the signature cannot be validated: Circular reference in page tree" in page
    signatures = response.context["report"].signatures
    assert not signatures[0].valid and signatures[-1].valid


def test_a_sound_pdf_is_still_sealed_and_its_seal_validates(api, pdf, clock):
    response = api.post("/api/contracts", contract_json(pdf), content_type="application/json")

    assert response.status_code == 201, response.content
    contract = Contract.objects.get(public_id=response.json()["id"])
    with contract.document_pdf.open("rb") as handle:
        report = signature_report(handle.read())
    assert report.valid and report.notes == ()
