"""Registering with the sandbox IDnow in a real browser on a 360 px phone:
the happy path all the way to an account (substantial assurance, RG-13),
and the fraud path that ends at the contact centre."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest

from paraph.accounts.models import AssuranceLevel, Person
from paraph.identity.models import IdnowIdentification
from paraph.identity.services import CustomerData, customer_record_upsert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+31612345678"
EMAIL = "sanne.devries@example.nl"


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def _code_from_inbox(page_factory, recipient: str, *, email: bool) -> str:
    inbox = page_factory(viewport=(360, 740), locale="en-GB")
    inbox.goto(f"/sandbox/inbox/?to={quote(recipient)}")
    if email:
        inbox.get_by_role("link", name="Your Paraph verification code").first.click()
        text = inbox.get_by_test_id("message-text").inner_text()
    else:
        text = inbox.get_by_test_id("sms-body").first.inner_text()
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    inbox.close()
    return match.group(1)


def _to_the_sandbox_idnow(page) -> None:
    """From the registration page to the sandbox IDnow, with the demo
    identity (a Dutch passport holder) the start page offers."""
    page.goto("/register/")
    page.get_by_role("button", name="Register with IDnow").click()
    page.wait_for_url("**/register/idnow/start/")
    _no_sideways_scroll(page)
    assert (
        "webcam or a smartphone camera" in page.get_by_test_id("idnow-camera-notice").inner_text()
    )
    assert "Sandbox — no real IDnow" in page.get_by_test_id("idnow-sandbox-notice").inner_text()
    page.get_by_label("Country that issued your document").select_option("NL")
    page.get_by_label("Passport").check()
    assert page.get_by_label("Surname").input_value() == "de Vries"
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_test_id("idnow-go").click()
    page.wait_for_url("**/register/idnow/sandbox/")
    assert page.get_by_test_id("idnow-sandbox-title").inner_text() == "Sandbox — no real IDnow"
    assert page.locator("pre.mrz").inner_text().startswith("P<NLDDE<VRIES<<SANNE<JOHANNA")
    _no_sideways_scroll(page)


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_sanne_registers_with_the_sandbox_idnow_on_a_phone(
    page, page_factory, console_errors, settings
):
    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"
    customer_record_upsert(
        data=CustomerData(
            external_id="C-2001",
            first_name="Sanne",
            last_name="de Vries",
            birth_date=dt.date(1991, 4, 18),
            references=("40/5060-708",),
        )
    )

    _to_the_sandbox_idnow(page)
    page.get_by_test_id("idnow-sandbox-happy").click()

    page.wait_for_url("**/register/idnow/status/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your identity is confirmed"
    _no_sideways_scroll(page)
    page.get_by_test_id("idnow-continue").click()

    # No national number from IDnow: she types her client reference, digits only.
    page.wait_for_url("**/register/match/")
    page.get_by_role("textbox", name="Client reference").fill("405060708")
    page.get_by_role("button", name="Use this reference").click()

    page.wait_for_url("**/register/phone/")
    page.get_by_label("Mobile phone number").fill(PHONE)
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
    person = Person.objects.get(email=EMAIL)
    assert person.assurance_level == AssuranceLevel.SUBSTANTIAL
    assert person.registration_method == "idnow"
    assert person.national_number is None
    assert (person.first_name, person.last_name) == ("Sanne Johanna", "de Vries")
    assert person.customer_records.get().external_id == "C-2001"
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_a_confirmed_fraud_ends_at_the_contact_centre(page, console_errors):
    _to_the_sandbox_idnow(page)
    page.get_by_test_id("idnow-sandbox-fraud").click()

    page.wait_for_url("**/register/idnow/status/")
    assert page.get_by_role("heading", level=1).inner_text() == "We could not confirm your identity"
    assert page.get_by_test_id("idnow-refusal").inner_text() == (
        "IDnow could not confirm your identity. Please call the contact centre."
    )
    assert page.get_by_test_id("idnow-retry").count() == 0
    assert page.get_by_role("heading", name="Call the contact centre").is_visible()
    _no_sideways_scroll(page)
    assert IdnowIdentification.objects.get().status == "FRAUD_SUSPICION_CONFIRMED"
    assert Person.objects.filter(email=EMAIL).count() == 0
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_the_being_checked_page_notices_the_decision_by_itself(page, console_errors):
    _to_the_sandbox_idnow(page)
    page.get_by_test_id("idnow-sandbox-review").click()
    page.wait_for_url("**/register/idnow/status/")
    assert page.get_by_test_id("idnow-outcome-pending").is_visible()

    # The reviewer decides in another tab; this page notices within seconds.
    identification = IdnowIdentification.objects.get()
    reviewer = page.context.new_page()
    reviewer.goto("/register/idnow/status/")
    reviewer.get_by_test_id("idnow-sandbox-approve").click()
    reviewer.wait_for_url("**/register/idnow/status/")

    page.get_by_test_id("idnow-outcome-succeeded").wait_for(timeout=15_000)
    identification.refresh_from_db()
    assert identification.status == "SUCCESS"
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_sanne_gives_her_address_in_amsterdam_not_a_belgian_one(page, console_errors):
    """Issue 14: after IDnow, the address of her country (no box, no
    Belgian commune), on a phone."""
    customer_record_upsert(
        data=CustomerData(
            external_id="C-2001",
            first_name="Sanne",
            last_name="de Vries",
            street="Prinsengracht",
            house_number="263",
            postal_code="1016 GV",
            municipality="Amsterdam",
            country="NL",
        )
    )
    _to_the_sandbox_idnow(page)
    page.get_by_test_id("idnow-sandbox-happy").click()
    page.wait_for_url("**/register/idnow/status/")
    page.get_by_test_id("idnow-continue").click()
    page.wait_for_url("**/register/match/")

    assert page.get_by_label("Country").input_value() == "NL"
    assert page.get_by_label("Box (if any)").count() == 0
    _no_sideways_scroll(page)
    page.get_by_label("Address", exact=True).fill("Prinsengracht 263")
    page.get_by_label("Postcode").fill("1016 gv")
    page.get_by_label("Town or city").fill("Amsterdam")
    page.get_by_role("button", name="Confirm my address").click()

    page.wait_for_url("**/register/phone/")
    assert console_errors == []
