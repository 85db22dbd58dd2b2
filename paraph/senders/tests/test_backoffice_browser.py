"""The sender back office in a real browser on a 360 px phone: log in with
the SMS code, send a contract with its PDF, see it sent; nothing refused
by the Content-Security-Policy, nothing wider than the screen."""

from __future__ import annotations

import re

import pytest

from paraph.contracts.models import Contract
from paraph.notifications.models import Channel, SandboxMessage
from paraph.senders.services import sender_create, sender_member_add
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+32470555111"


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_staff_send_a_contract_from_a_phone(page, console_errors, person_factory, tmp_path):
    from playwright.sync_api import expect

    staff = person_factory(phone=PHONE, language="en", email="staff@interim.test")
    sender = sender_create(
        name="Intérim Browser", enterprise_number="0403.170.701", contact_email="hr@b.test"
    )
    sender_member_add(sender=sender, person=staff, role="admin")
    pdf_path = tmp_path / "contract.pdf"
    pdf_path.write_bytes(contract_pdf(pages=1))

    page.goto("/sender/contracts/new/")
    page.wait_for_url("**/account/login/**")
    page.get_by_label("Mobile phone number or e-mail address").fill(PHONE)
    page.get_by_role("button", name="Send me a code").click()
    sms = SandboxMessage.objects.filter(channel=Channel.SMS, to=PHONE).latest("id")
    code = re.search(r"\b(\d{6})\b", sms.body_text).group(1)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/sender/contracts/new/")

    page.get_by_label("Title of the contract").fill("Contrat de mission")
    page.get_by_label("The contract (PDF)").set_input_files(str(pdf_path))
    page.get_by_label("Recipient's first name").fill("Anne")
    page.get_by_label("Recipient's last name").fill("Martin")
    page.get_by_label("Recipient's e-mail address").fill("anne@example.be")
    page.get_by_label("Recipient's mobile phone").fill("0470 12 34 56")
    page.get_by_label("Start of work (Brussels time)").fill("2030-01-07T08:00")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.get_by_role("button", name="Send the contract").click()

    page.wait_for_url("**/sender/contracts/*/")
    expect(page.get_by_test_id("contract-status")).to_have_text("sent")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    contract = Contract.objects.get()
    assert contract.created_by == staff and contract.sealed
    page.goto("/sender/")
    expect(page.get_by_test_id("contract-row")).to_have_count(1)
    assert console_errors == []
