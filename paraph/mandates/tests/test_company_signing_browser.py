"""A contract for the demo company, in a real browser (ADR 35): the demo
sender's staff send it to Boulangerie Dupont from the back office; Anne,
its digital representative, logs in, acts for the company, finds it in the
company's adminbox and signs it with her password under her own mandate.
The signature, its stamp and the evidence say "for Boulangerie Dupont"
and who signed; pdfsig and pyHanko find the signature valid."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader

from paraph.accounts.models import Person
from paraph.contracts.evidence import contract_evidence_pdf
from paraph.contracts.models import Contract
from paraph.contracts.tests.companies import LABEL, stamp_text
from paraph.core.tests.typeset import pdf_text
from paraph.mandates.tests.conftest import PASSWORD
from paraph.notifications.models import Channel, SandboxMessage
from paraph.signing.selectors import signature_report
from paraph.signing.tests.checks import make_nss_db, pdfsig
from paraph.signing.tests.pdfs import contract_pdf
from paraph.web.tests.browser import in_a_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGENT_PHONE = "+32470000111"
ANNE_PHONE = "+32470123456"
COMPANY_EMAIL = "compta@boulangerie-dupont.be"


def _code(to: str) -> str:
    message = SandboxMessage.objects.filter(channel=Channel.SMS, to=to).latest("id")
    found = re.search(r"\b(\d{6})\b", message.body_text)
    assert found, message.body_text
    return found.group(1)


def _log_in(page, phone: str, typed: str) -> None:
    page.get_by_label("Mobile phone number or e-mail address").fill(typed)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/account/login/code/**")
    page.get_by_label("Code", exact=True).fill(_code(phone))
    page.get_by_role("button", name="Log in", exact=True).click()


def test_a_contract_sent_to_the_demo_company_is_signed_for_it(
    page_factory, mandate_for, settings, tmp_path: Path
):
    from playwright.sync_api import expect

    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"
    call_command("demo", stdout=io.StringIO())
    Person.objects.filter(phone__in=[ANNE_PHONE, AGENT_PHONE]).update(language="en")
    anne = Person.objects.get(phone=ANNE_PHONE)
    mandate_for(anne)
    errors: list[str] = []
    pdf_path = tmp_path / "subcontract.pdf"
    pdf_path.write_bytes(contract_pdf(pages=1, title="Contrat de sous-traitance"))

    # The demo sender's staff send the contract to the company.
    office = page_factory(locale="en-GB")
    office.on("pageerror", lambda error: errors.append(str(error)))
    office.goto("/sender/contracts/new/")
    office.wait_for_url("**/account/login/**")
    _log_in(office, AGENT_PHONE, "0470 00 01 11")
    office.wait_for_url("**/sender/contracts/new/")
    office.get_by_label("Title of the contract").fill("Contrat de sous-traitance")
    office.get_by_label("The contract (PDF)").set_input_files(str(pdf_path))
    office.get_by_label("Recipient's e-mail address").fill(COMPANY_EMAIL)
    office.get_by_label("Or a company: its enterprise number").fill("BE 0812.345.603")
    office.get_by_label("Start of work (Brussels time)").fill(in_a_month())
    office.get_by_role("button", name="Send the contract").click()
    office.wait_for_url("**/sender/contracts/*/")
    expect(office.get_by_test_id("contract-status")).to_have_text("sent")
    contract = Contract.objects.get(recipient_company_number="0812345603")
    assert contract.recipient is None
    assert SandboxMessage.objects.filter(channel=Channel.EMAIL, to=COMPANY_EMAIL).exists()

    # Anne logs in, acts for the company, and finds it in its adminbox.
    page = page_factory(locale="en-GB")
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/account/login/")
    _log_in(page, ANNE_PHONE, "0470 12 34 56")
    page.wait_for_url("**/company/act/**")
    page.get_by_label("Boulangerie Dupont (0812.345.603)").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/adminbox/")
    expect(page.get_by_test_id("acting-adminbox")).to_contain_text("Boulangerie Dupont")
    page.get_by_role("link", name="Contrat de sous-traitance").first.click()
    page.wait_for_url(f"**/adminbox/contract/{contract.public_id}/")
    expect(page.get_by_test_id("contract-company")).to_have_text(LABEL)

    # She signs with her password, under her own mandate.
    page.get_by_role("link", name="Sign with my password").click()
    expect(page.get_by_test_id("sign-for-company")).to_have_text(LABEL)
    page.get_by_label("I have read the contract and I sign it.").check()
    page.get_by_label("Your signing password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the contract").click()
    page.wait_for_url(f"**/contract/{contract.public_id}/signed/")

    contract.refresh_from_db()
    assert contract.status == "signed"
    assert (contract.signed_by, contract.signer_role) == (anne, "representative")
    with contract.signed_pdf.open("rb") as handle:
        signed = handle.read()
    # the stamp and the signature say for whom, and who signed
    assert stamp_text(signed).startswith(f"Anne Martin / for {LABEL} / ")
    signature = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[-1]
    assert signature.sig_object["/Reason"] == f"Signed for {LABEL}"
    # pyHanko's validation and poppler's pdfsig find it valid and trusted
    report = signature_report(signed)
    assert report.valid, report
    assert report.signed[-1].signer.startswith("Anne Martin")
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    root = settings.DATA_DIR / "pki" / "root.pem"
    made = [
        s for s in pdfsig(path, make_nss_db(tmp_path / "nss", [root])) if not s.document_timestamp
    ]
    assert made and all(s.valid and s.trusted for s in made), made
    assert any(s.signer.startswith("Anne Martin") for s in made), made
    # the evidence says it too
    words = " ".join(pdf_text(contract_evidence_pdf(contract=contract, language="en")).split())
    assert LABEL in words
    assert "Anne Martin, its digital representative" in words
    # and so does the sender's page
    office.reload()
    expect(office.get_by_test_id("company-signer")).to_contain_text("Anne Martin")
    assert errors == []
