"""Registering through the sandbox itsme in a real browser on a 360 px
phone: the codes read from the sandbox inbox pages, as a person trying the
demo would, and nothing refused by the Content-Security-Policy."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from paraph.accounts.models import AssuranceLevel, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+32470111222"
EMAIL = "pieter.claes@example.be"
SCREENSHOT = "/tmp/paraph-register-match-360.png"


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def _code_from_inbox(page_factory, recipient: str, *, email: bool) -> str:
    """Open the sandbox inbox in another tab, as the person would on their
    phone, and read the newest code sent to ``recipient``."""
    inbox = page_factory(viewport=(360, 740), locale="en-GB")
    inbox.goto(f"/sandbox/inbox/?to={recipient}")
    if email:
        inbox.get_by_role("link", name="Your Paraph verification code").first.click()
        text = inbox.get_by_test_id("message-text").inner_text()
    else:
        text = inbox.get_by_test_id("sms-body").first.inner_text()
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    inbox.close()
    return match.group(1)


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_pieter_registers_with_the_sandbox_itsme_on_a_phone(
    page, page_factory, console_errors, settings
):
    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"
    call_command("demo", stdout=io.StringIO())

    page.goto("/account/login/")
    page.get_by_role("link", name="How to register").click()
    page.get_by_role("link", name="Register now").click()
    page.wait_for_url("**/register/")
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Register with itsme").click()

    # The sandbox itsme, plainly labelled.
    page.get_by_test_id("sandbox-itsme-notice").wait_for()
    assert "Sandbox — no real itsme" in page.get_by_test_id("sandbox-itsme-notice").inner_text()
    _no_sideways_scroll(page)
    page.get_by_label("Pieter Claes").check()
    page.get_by_test_id("itsme-confirm").click()

    # Not found by national number: he confirms his address, in French and with "bte".
    page.wait_for_url("**/register/match/")
    _no_sideways_scroll(page)
    page.get_by_label("Street").fill("Kerkstr.")
    page.get_by_label("House number").fill("12")
    page.get_by_label("Box (if any)").fill("bte 3")
    page.get_by_label("Postcode").fill("9000")
    page.get_by_label("Municipality").fill("Gand")
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Confirm my address").click()

    page.wait_for_url("**/register/phone/")
    consent = page.get_by_label(re.compile("Also use my number for other messages"))
    assert not consent.is_checked()
    page.get_by_label("Mobile phone number").fill("0470 11 12 22")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/register/phone/code/")
    page.get_by_label("Code", exact=True).fill(_code_from_inbox(page_factory, PHONE, email=False))
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url("**/register/email/")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/register/email/code/")
    page.get_by_label("Code", exact=True).fill(_code_from_inbox(page_factory, EMAIL, email=True))
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url("**/adminbox/")
    assert "you are registered and logged in" in page.content()
    _no_sideways_scroll(page)
    person = Person.objects.get(email=EMAIL)
    assert person.assurance_level == AssuranceLevel.HIGH
    assert person.phone == PHONE and person.consent_phone_other_uses is False
    assert person.customer_records.get().external_id == "C-1004"
    assert console_errors == []
