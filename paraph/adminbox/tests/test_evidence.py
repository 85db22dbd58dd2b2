"""The evidence PDF (issue 4, "Evidence"): what it says, in the reader's
language, sealed by Paraph so that a validator accepts it, and served only
to the contract's recipient, its sender's staff and its sender's API keys."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from django.test import RequestFactory
from django.utils import timezone

from paraph.audit.models import AuditEvent
from paraph.contracts.services import (
    contract_evidence_add,
    contract_open,
    contract_sign_record,
    contract_signing_input,
)
from paraph.contracts.tests.fixtures import T0
from paraph.core.context import Context
from paraph.signing.selectors import signature_report
from paraph.signing.services import password_signature_make, signing_key_issue

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
MANDATE = "M-2026-0042"
IP = "203.0.113.7"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) EvidenceTest/1.0"


def text_of(pdf: bytes, tmp_path) -> str:
    """The PDF's text as pdftotext (poppler) reads it."""
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    path = tmp_path / "evidence.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return out.stdout.decode()


@pytest.fixture
def anne(person_factory):
    return person_factory(
        email="anne.martin@example.be", language="en", email_verified_at=timezone.now()
    )


@pytest.fixture
def signed_contract(anne, make_contract, sandbox_email, deliver, clock):
    """A contract sent (the e-mail delivered), opened, a code sent and
    verified from a known browser, and signed with a password under a
    mandate by the real signing engine."""
    with deliver():
        contract = make_contract(recipient={"email": "anne.martin@example.be"})
    request = RequestFactory().get("/", REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER)
    contract_open(contract=contract, person=anne, context=Context.from_request(request))
    contract_evidence_add(
        contract=contract,
        step="code_sent",
        person=anne,
        data={"channel": "sms"},
        context=Context.from_request(request),
    )
    contract_evidence_add(
        contract=contract, step="code_verified", person=anne, context=Context.from_request(request)
    )
    signing_key_issue(
        person=anne, password=PASSWORD, mandate_ref=MANDATE, valid_until=T0 + dt.timedelta(365)
    )
    document = contract_signing_input(contract=contract)
    signed = password_signature_make(
        person=anne,
        document=document.document,
        document_ref=document.document_ref,
        password=PASSWORD,
        field_name=document.field_name,
    )
    return contract_sign_record(
        contract=contract,
        person=anne,
        signed_pdf=signed,
        method="password",
        mandate_ref=MANDATE,
        context=Context.from_request(request),
    )


def test_the_person_downloads_a_sealed_evidence_pdf_that_says_everything(
    signed_contract, anne, client, tmp_path
):
    client.force_login(anne)

    response = client.get(f"/adminbox/contract/{signed_contract.public_id}/evidence.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    pdf = response.content
    report = signature_report(pdf)
    assert report.valid
    (seal,) = report.signed
    assert seal.signer == "Paraph Sandbox seal" and seal.certification == "no_changes"
    assert seal.unchanged_since

    text = " ".join(text_of(pdf, tmp_path).split())
    c = signed_contract
    for expected in (
        "Evidence of a contract signed online",
        c.title,
        c.sender.name,
        "Version: 1",
        "anne.martin@example.be",
        c.original_sha256,
        c.document_sha256,
        c.signed_sha256,
        "Sent to the recipient",
        "Message: delivered to the mail or SMS provider at 01/12/2026 09:00:00",
        "Opened by the recipient",
        "One-time code sent",
        "One-time code verified",
        "Signed with: password under a mandate",
        f"Mandate: {MANDATE}",
        f"IP address: {IP}",
        BROWSER,
        # Brussels time (08:00 in UTC).
        "01/12/2026 09:00:00 Signed",
    ):
        assert expected in text, expected
    assert AuditEvent.objects.filter(
        name="contracts.contract.downloaded", data__what="evidence_pdf"
    ).exists()


def test_the_evidence_is_written_in_the_readers_language(signed_contract, anne, client, tmp_path):
    anne.language = "fr"
    anne.save(update_fields=["language"])
    client.force_login(anne)

    pdf = client.get(f"/adminbox/contract/{signed_contract.public_id}/evidence.pdf").content

    text = text_of(pdf, tmp_path)
    # French dates (the words follow once the lead translates the catalogue).
    assert "01/12/2026 09:00:00" in text
    assert signature_report(pdf).valid


def test_another_persons_evidence_is_not_found(
    signed_contract, person_factory, client, make_contract
):
    client.force_login(person_factory(email="mallory@example.be"))

    theirs = client.get(f"/adminbox/contract/{signed_contract.public_id}/evidence.pdf")
    unknown = client.get("/adminbox/contract/00000000-0000-4000-8000-000000000000/evidence.pdf")

    assert theirs.status_code == unknown.status_code == 404
    assert not AuditEvent.objects.filter(
        name="contracts.contract.downloaded", data__what="evidence_pdf"
    ).exists()


def test_a_visitor_must_log_in_first(signed_contract, client):
    response = client.get(f"/adminbox/contract/{signed_contract.public_id}/evidence.pdf")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_the_sender_downloads_it_from_the_back_office(signed_contract, staff, client, tmp_path):
    client.force_login(staff)

    detail = client.get(f"/sender/contracts/{signed_contract.public_id}/")
    response = client.get(f"/sender/contracts/{signed_contract.public_id}/evidence.pdf")

    assert f"/sender/contracts/{signed_contract.public_id}/evidence.pdf" in detail.text
    assert response.status_code == 200
    assert signature_report(response.content).valid
    assert signed_contract.signed_sha256 in " ".join(text_of(response.content, tmp_path).split())


def test_the_api_serves_it_to_the_senders_keys_only(
    signed_contract, api, api_key_factory, other_sender, tmp_path
):
    response = api.get(
        f"/api/contracts/{signed_contract.public_id}/evidence.pdf", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert signature_report(response.content).valid
    assert "Signed with: password under a mandate" in " ".join(
        text_of(response.content, tmp_path).split()
    )

    _key, token = api_key_factory(owner=other_sender)
    foreign = api.get(
        f"/api/contracts/{signed_contract.public_id}/evidence.pdf",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert foreign.status_code == 404
    assert foreign["Content-Type"] == "application/problem+json"
