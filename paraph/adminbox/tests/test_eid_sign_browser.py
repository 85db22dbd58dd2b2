"""Signing a contract with the eID card in a real browser (Debian's
Chromium through Playwright), in sandbox mode: the page speaks the Web eID
extension's messages to the virtual card reader (the signature certificate
read, then the PIN, a wrong one counted), the contract ends signed; and
without any reader the page explains what to install."""

# The fixtures imported from test_eid_fixtures are used as test arguments.
# ruff: noqa: F403, F405

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from paraph.adminbox.tests.test_eid_fixtures import *

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, person) -> None:
    client = Client()
    client.force_login(person)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _type_pin(page, pin: str) -> None:
    pin_input = page.get_by_test_id("eid-vr-pin")
    pin_input.wait_for()
    pin_input.fill("")
    pin_input.focus()
    page.keyboard.type(pin)
    page.keyboard.press("Enter")


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_sign_with_the_virtual_card_a_wrong_pin_then_the_right_one(
    page, cards, holder, contract_for, live_server, console_errors
):
    anne = holder("card1")
    contract = contract_for(anne, title="Contrat Anne juin")
    _log_in(page, live_server, anne)

    page.goto(page_url(contract))
    assert "Contrat Anne juin" in page.get_by_test_id("eid-sign-contract").inner_text()
    assert "Sandbox — virtual eID card" in page.get_by_test_id("eid-sandbox-notice").inner_text()
    page.get_by_test_id("eid-sign-status").filter(has_text="Ready").wait_for()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.get_by_test_id("eid-sign-start").click()

    # 1. The card's signature certificate: the card is chosen, no PIN yet.
    reader = page.get_by_test_id("eid-virtual-reader")
    reader.wait_for()
    assert "Sandbox — virtual eID card" in reader.inner_text()
    assert "signature certificate" in reader.inner_text()
    assert page.get_by_label("Anne Martin").is_checked()
    assert not page.get_by_test_id("eid-vr-pin").is_visible()
    page.screenshot(path="/tmp/paraph-eid-sign-certificate-360.png", full_page=True)
    page.get_by_test_id("eid-vr-ok").click()

    # 2. Paraph checks the card and prepares the document; the card asks its PIN.
    page.get_by_text("A website asks your card to sign a document").wait_for()
    _type_pin(page, "1111")
    error = page.get_by_test_id("eid-vr-pin-error")
    error.filter(has_text="Wrong PIN code").wait_for()
    assert "2 tries left" in error.inner_text()
    page.screenshot(path="/tmp/paraph-eid-sign-pin-360.png", full_page=True)
    _type_pin(page, "1234")

    # the same page as after a password signature
    page.wait_for_url(f"**/adminbox/contract/{contract.public_id}/signed/", timeout=30_000)
    contract.refresh_from_db()
    assert (contract.status, contract.signing_method) == ("signed", "eid")
    main = page.locator("main").inner_text()
    assert "You signed" in main and "already signed" not in main
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_without_any_card_reader_the_page_explains_what_to_install(
    page, cards, holder, contract_for, live_server, console_errors
):
    anne = holder("card1")
    contract = contract_for(anne)
    _log_in(page, live_server, anne)

    page.goto(page_url(contract) + "?reader=none")

    missing = page.get_by_test_id("eid-sign-missing")
    missing.wait_for()
    assert (
        "Web eID extension does not answer" in page.get_by_test_id("eid-sign-status").inner_text()
    )
    text = missing.inner_text()
    assert "eid.belgium.be" in text and "web-eid.eu" in text
    assert (
        "ask your IT department to allow"
        in page.get_by_test_id("eid-sign-missing-work").inner_text()
    )
    assert settings.CONTACT_PHONE in page.get_by_test_id("eid-sign-missing-personal").inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/paraph-eid-sign-missing-360.png", full_page=True)
    contract.refresh_from_db()
    assert contract.status != "signed"
    assert console_errors == []
