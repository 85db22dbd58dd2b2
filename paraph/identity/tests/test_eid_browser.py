"""The eID card in a real browser (Debian's Chromium through Playwright),
in sandbox mode: the page talks to the virtual card reader with the Web
eID extension's messages, the PIN prompt counts a wrong PIN, the right
PIN lets the registration (or the log-in) go on; and without any reader
the page explains how to install the eID software and the extension."""

# The fixtures imported from webeid_support are used as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.utils import timezone

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.identity.models import CustomerRecord, EidCertificate, RegistrationAttempt
from paraph.identity.tests.webeid_support import (  # noqa: F401 - fixtures
    eid_sandbox,
    eid_sandbox_template,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANNE = "85073003328"  # the first demo person; her virtual card is "card1" (RSA-2048)


@pytest.fixture
def site(eid_sandbox, live_server, settings):
    settings.BASE_URL = live_server.url  # the origin the card signs for
    return live_server


def _start_registration(page) -> None:
    page.goto("/register/")
    page.get_by_test_id("register-eid").click()
    page.wait_for_url("**/register/eid/")


def _type_pin(page, pin: str) -> None:
    pin_input = page.get_by_test_id("eid-vr-pin")
    pin_input.fill("")
    pin_input.focus()
    page.keyboard.type(pin)
    page.keyboard.press("Enter")


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_register_with_the_virtual_card_a_wrong_pin_then_the_right_one(page, site, console_errors):
    CustomerRecord.objects.create(
        external_id="C-1", national_number=ANNE, first_name="Anne", last_name="Martin"
    )
    _start_registration(page)

    assert "Sandbox — virtual eID card" in page.get_by_test_id("eid-sandbox-notice").inner_text()
    status = page.get_by_test_id("eid-status")
    status.filter(has_text="Ready").wait_for()
    page.get_by_test_id("eid-read").click()

    reader = page.get_by_test_id("eid-virtual-reader")
    reader.wait_for()
    assert "Sandbox — virtual eID card" in reader.inner_text()
    assert site.url in reader.inner_text()  # the origin the card is asked to sign for
    assert page.get_by_label("Anne Martin").is_checked()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/paraph-eid-virtual-card-360.png", full_page=True)

    _type_pin(page, "1111")
    error = page.get_by_test_id("eid-vr-pin-error")
    error.filter(has_text="Wrong PIN code").wait_for()
    assert "2 tries left" in error.inner_text()
    assert page.get_by_test_id("eid-vr-pin").get_attribute("aria-invalid") == "true"

    _type_pin(page, "1234")
    page.wait_for_url("**/register/phone/")

    attempt = RegistrationAttempt.objects.get()
    assert (attempt.method, attempt.state, attempt.national_number) == ("eid", "phone", ANNE)
    assert attempt.claims["given_name"] == "Anne" and attempt.claims["assurance"] == "high"
    assert console_errors == []


@pytest.mark.browser(locale="en-GB")
def test_a_registered_person_gets_back_in_with_the_virtual_card(
    page, site, console_errors, person_factory
):
    anne = person_factory(
        first_name="Anne",
        last_name="Martin",
        national_number=ANNE,
        assurance_level=AssuranceLevel.HIGH,
        registration_method=RegistrationMethod.DEMO,
        registered_at=timezone.now(),
    )
    page.goto("/register/new-phone/")
    page.get_by_test_id("new-phone-eid").click()
    page.wait_for_url("**/identity/eid/")
    page.get_by_test_id("eid-status").filter(has_text="Ready").wait_for()

    page.get_by_test_id("eid-read").click()
    _type_pin(page, "1234")

    page.wait_for_url("**/register/new-phone/number/")
    assert EidCertificate.objects.get().person == anne  # the card, recorded (LG-5)
    assert console_errors == []


@pytest.mark.browser(locale="en-GB")
def test_a_revoked_virtual_card_is_refused_on_the_page(page, site, console_errors):
    _start_registration(page)
    page.get_by_test_id("eid-status").filter(has_text="Ready").wait_for()
    page.get_by_test_id("eid-read").click()
    page.get_by_label("Luc Janssens").check()
    _type_pin(page, "1234")

    error = page.get_by_test_id("eid-error")
    error.wait_for()
    assert "revoked" in error.inner_text()
    assert page.get_by_role("button", name="Start again").is_visible()
    assert RegistrationAttempt.objects.get().state == "identifying"
    # the refusal is an answer of the page's script, not a console error
    assert [e for e in console_errors if "400" not in e] == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_without_the_extension_the_page_explains_how_to_install_it(page, site, console_errors):
    _start_registration(page)
    page.goto("/register/eid/?reader=none")  # this page without the virtual reader

    missing = page.get_by_test_id("eid-missing")
    missing.wait_for()
    text = missing.inner_text()
    assert "eID software" in text and "Web eID extension" in text
    assert "ask your IT department to allow" in page.get_by_test_id("eid-missing-work").inner_text()
    personal = page.get_by_test_id("eid-missing-personal").inner_text()
    assert "+32 2 664 13 60" in personal and "08:00" in personal
    assert "does not answer" in page.get_by_test_id("eid-status").inner_text()
    assert page.get_by_test_id("eid-virtual-reader").count() == 0
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/paraph-eid-no-extension-360.png", full_page=True)
    assert console_errors == []


@pytest.mark.browser(viewport=(1280, 720), locale="en-GB")
def test_the_virtual_reader_by_keyboard_fits_the_screen_and_gives_focus_back_on_cancel(
    page, site, console_errors
):
    from playwright.sync_api import expect

    _start_registration(page)
    page.get_by_test_id("eid-status").filter(has_text="Ready").wait_for()
    page.get_by_test_id("eid-read").focus()
    page.keyboard.press("Enter")

    reader = page.get_by_test_id("eid-virtual-reader")
    reader.wait_for()
    # No card is blocked: the "Unblock" button is neither shown nor reachable.
    assert not page.get_by_test_id("eid-vr-unblock").is_visible()
    # The whole dialog is on a 1280x720 screen, its buttons included.
    box = reader.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720
    assert page.locator("#eid-vr-cancel").is_visible()

    page.keyboard.press("Escape")  # the person gives up

    assert not reader.is_visible()
    # Focus is back where it was, not lost on <body>.
    expect(page.get_by_test_id("eid-read")).to_be_focused()
    assert console_errors == []
