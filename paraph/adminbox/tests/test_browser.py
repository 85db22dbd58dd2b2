"""The first contract as a new person lives it, in a real browser on a
phone: the e-mail's link, the SMS code from the sandbox inbox, the
contract's pages, the tasks tab."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from paraph.accounts.tests.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/adminbox/(?:activate|contracts)/[A-Za-z0-9_-]{43}/)")


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_a_new_person_activates_the_adminbox_and_lands_on_the_contract(
    page, console_errors, make_contract, deliver
):
    from playwright.sync_api import expect  # here: the browser fixture skips without it

    start = (timezone.now() + dt.timedelta(days=3)).isoformat()
    with deliver():
        contract = make_contract(
            recipient={"email": "new@example.be", "language": "en"},
            title="Warehouse assistant",
            start_of_work=start,
        )
    (message,) = [m for m in mail.outbox if "new@example.be" in m.to]
    activate_path, _contract_path = LINK.findall(str(message.body))

    page.goto(activate_path)
    expect(page.get_by_label("Mobile phone number")).to_have_value("+32470123456")
    with deliver():
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_url("**/adminbox/activation/code/")
    page.get_by_label("Code", exact=True).fill(last_code("+32470123456"))
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url(f"**/adminbox/contract/{contract.public_id}/")
    expect(page.get_by_role("heading", name="Warehouse assistant")).to_be_visible()
    first_page = page.get_by_role("img", name="Page 1 of 2")
    expect(first_page).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", first_page.element_handle()) > 300
    expect(page.get_by_text("Read the contract again, then sign.")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/paraph-adminbox-contract-360.png", full_page=True)

    page.get_by_role("link", name="Tasks").click()
    page.wait_for_url("**/adminbox/")
    expect(page.get_by_role("link", name="Warehouse assistant", exact=True)).to_be_visible()
    page.screenshot(path="/tmp/paraph-adminbox-tasks-360.png", full_page=True)
    assert console_errors == []
