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
from paraph.web.tests.browser import in_a_month

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
    found = re.search(r"\b(\d{6})\b", sms.body_text)
    assert found is not None, sms.body_text
    code = found.group(1)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/sender/contracts/new/")

    page.get_by_label("Title of the contract").fill("Contrat de mission")
    page.get_by_label("The contract (PDF)").set_input_files(str(pdf_path))
    page.get_by_label("Recipient's first name").fill("Anne")
    page.get_by_label("Recipient's last name").fill("Martin")
    page.get_by_label("Recipient's e-mail address").fill("anne@example.be")
    page.get_by_label("Recipient's mobile phone").fill("0470 12 34 56")
    page.get_by_label("Start of work (Brussels time)").fill(in_a_month())
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


# Where each cell of the contract list sits (issue 14): a status badge or a
# date on more than one line is a word broken in two.
LIST_LAYOUT = """() => {
  const line = e => parseFloat(getComputedStyle(e).lineHeight) || 24;
  const broken = selector => [...document.querySelectorAll(selector)]
    .filter(e => e.getBoundingClientRect().height > line(e) * 1.5)
    .map(e => e.textContent);
  // A badge that overflows its cell.
  const outside = [...document.querySelectorAll('.contract-list .status')]
    .filter(e => e.getBoundingClientRect().right > e.closest('td').getBoundingClientRect().right + 1)
    .map(e => e.textContent);
  const region = document.querySelector('.table-scroll');
  return {
    dates: broken('.contract-list time'),
    badges: broken('.contract-list .status'),
    outside,
    table: document.querySelector('.contract-list').getBoundingClientRect().width,
    sideways: region.scrollWidth > region.clientWidth + 1,
    page: document.scrollingElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_the_contract_list_fits_a_desktop_and_a_phone(
    language,
    page_factory,
    staff,
    make_contract,
):
    from paraph.web.tests.browser import log_in

    for n in range(3):
        make_contract(
            title=f"Contrat de travail intérimaire pour préparateur de commandes {n}",
            external_reference=f"W-2026-{n:03d}",
            recipient={"email": f"marie-christine.vandenbroucke{n}@entreprise-exemple.be"},
        )
    staff.language = language
    staff.save(update_fields=["language"])
    statuses = ["sent", "not_signed", "superseded"]
    for contract, status in zip(Contract.objects.order_by("pk"), statuses, strict=True):
        Contract.objects.filter(pk=contract.pk).update(status=status)

    desktop = page_factory(viewport=(1280, 800), locale=f"{language}-BE")
    desktop.goto("/")
    log_in(desktop, staff, language)
    desktop.goto("/sender/")
    layout = desktop.evaluate(LIST_LAYOUT)
    assert layout["dates"] == [] and layout["badges"] == [] and layout["outside"] == []
    assert layout["table"] >= 1000  # a working table, not a narrow column
    assert not layout["sideways"]

    phone = page_factory(viewport=(360, 740), locale=f"{language}-BE")
    phone.goto("/")
    log_in(phone, staff, language)
    phone.goto("/sender/")
    layout = phone.evaluate(LIST_LAYOUT)
    # A long status may wrap between its words on a phone; dates do not.
    assert layout["dates"] == []
    assert layout["outside"] == []
    # Everything of a contract is read without scrolling sideways.
    phone.screenshot(path=f"/tmp/paraph-sender-list-360-{language}.png", full_page=True)
    assert not layout["sideways"] and layout["page"] <= 360, layout
