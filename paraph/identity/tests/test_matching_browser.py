"""Matching the customer file in a real browser (RG-2, RG-4, RG-5), on a
360 px phone: the national number is not in the file, so the person
confirms their home address (box and municipality written their own way)
or types a client reference (with other separators than the printed
ones); a few wrong tries end at the contact centre."""

# The fixtures imported from webeid_support are used as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest

from paraph.accounts.models import AssuranceLevel, Person
from paraph.audit.models import AuditEvent
from paraph.identity.models import EidCertificate, RegistrationAttempt
from paraph.identity.services import CustomerData, customer_record_upsert
from paraph.identity.tests.registration_support import (
    inbox_code,
    no_sideways_scroll,
    read_virtual_card,
)
from paraph.identity.tests.webeid_support import (  # noqa: F401 - fixtures
    eid_sandbox,
    eid_sandbox_template,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JAN = "90020199704"  # the second demo person: the virtual card "card2" (P-384)
PHONE = "+32470987654"
EMAIL = "jan.peeters@example.be"


@pytest.fixture
def site(eid_sandbox, live_server, settings):
    settings.BASE_URL = live_server.url  # the origin the card signs for
    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"
    return live_server


def _customer(external_id: str, first_name: str, last_name: str, **fields):
    record, _outcome = customer_record_upsert(
        data=CustomerData(
            external_id=external_id, first_name=first_name, last_name=last_name, **fields
        )
    )
    return record


def _itsme_to_matching(page, identity: str) -> None:
    page.goto("/register/")
    page.get_by_role("button", name="Register with itsme").click()
    page.get_by_test_id("sandbox-itsme-notice").wait_for()
    page.get_by_label(identity).check()
    page.get_by_test_id("itsme-confirm").click()
    page.wait_for_url("**/register/match/")


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_jan_registers_with_his_card_and_is_found_by_his_address(
    page, page_factory, site, console_errors
):
    # The file has Jan at "Rue Haute 120 bus 3, 1000 Brussel", without his
    # national number; the card proves only his name and national number.
    record = _customer(
        "C-3001",
        "Jan",
        "Peeters",
        birth_date=dt.date(1990, 2, 1),
        street="Rue Haute",
        house_number="120",
        box="bus 3",
        postal_code="1000",
        municipality="Brussel",
    )
    page.goto("/register/")
    page.get_by_test_id("register-eid").click()
    page.wait_for_url("**/register/eid/")
    read_virtual_card(page, "Jan Peeters")

    page.wait_for_url("**/register/match/")
    no_sideways_scroll(page)
    assert page.get_by_test_id("tries-left").inner_text() == "You have 3 tries left."
    # A wrong house number first: one try used, said plainly.
    page.get_by_label("Street").fill("rue haute")
    page.get_by_label("House number").fill("12")
    page.get_by_label("Box (if any)").fill("bte 3")
    page.get_by_label("Postcode").fill("1000")
    page.get_by_label("Municipality").fill("Bruxelles")
    page.get_by_role("button", name="Confirm my address").click()
    page.get_by_text("We could not find you with this").wait_for()
    assert "you can try 2 more times" in page.content()
    assert page.get_by_test_id("tries-left").inner_text() == "You have 2 tries left."

    # Then his number: "bte 3" for "bus 3", Bruxelles for Brussel.
    page.get_by_label("House number").fill("120")
    page.get_by_role("button", name="Confirm my address").click()

    page.wait_for_url("**/register/phone/")
    assert "We found you in our customer file." in page.content()
    page.get_by_label("Mobile phone number").fill("0470 98 76 54")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/register/phone/code/")
    page.get_by_label("Code", exact=True).fill(inbox_code(page_factory, PHONE))
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url("**/register/email/")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/register/email/code/")
    page.get_by_label("Code", exact=True).fill(inbox_code(page_factory, EMAIL, email=True))
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url("**/adminbox/")
    assert "you are registered and logged in" in page.content()
    jan = Person.objects.get(email=EMAIL)
    assert (jan.national_number, jan.registration_method) == (JAN, "eid")
    assert jan.assurance_level == AssuranceLevel.HIGH and jan.phone == PHONE
    assert jan.customer_records.get() == record
    assert RegistrationAttempt.objects.get().match_kind == "address"
    assert EidCertificate.objects.get().person == jan  # his card, for later log-ins
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_lea_is_found_by_her_client_reference_typed_with_other_separators(page, console_errors):
    # Printed "50/6070-809" on her payment notices; she types dots.
    record = _customer(
        "C-3002",
        "Léa",
        "Wouters",
        birth_date=dt.date(1995, 6, 23),
        references=("50/6070-809",),
    )
    _itsme_to_matching(page, "Léa Wouters")

    reference = page.get_by_role("textbox", name="Client reference")
    reference.fill("50.6070.800")  # one digit wrong: a try used
    page.get_by_role("button", name="Use this reference").click()
    page.get_by_text("We could not find you with this").wait_for()
    assert "you can try 2 more times" in page.content()

    page.get_by_role("textbox", name="Client reference").fill("50.6070.809")
    page.get_by_role("button", name="Use this reference").click()

    page.wait_for_url("**/register/phone/")
    no_sideways_scroll(page)
    attempt = RegistrationAttempt.objects.get()
    assert (attempt.customer, attempt.match_kind, attempt.state) == (record, "reference", "phone")
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_a_reference_of_only_digits_and_one_with_letters(page, console_errors):
    _customer("C-3003", "Léa", "Wouters", references=("60-7080-901",))
    _itsme_to_matching(page, "Léa Wouters")

    # Not a reference at all: said at once, and no try is used.
    page.get_by_role("textbox", name="Client reference").fill("AB-7080")
    page.get_by_role("button", name="Use this reference").click()
    page.get_by_text("A client reference has only digits").first.wait_for()
    assert page.get_by_test_id("tries-left").inner_text() == "You have 3 tries left."

    page.get_by_role("textbox", name="Client reference").fill("607080901")
    page.get_by_role("button", name="Use this reference").click()
    page.wait_for_url("**/register/phone/")
    customer = RegistrationAttempt.objects.get().customer
    assert customer is not None and customer.external_id == "C-3003"
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_three_wrong_tries_end_at_the_contact_centre(page, console_errors, settings):
    _customer("C-3004", "Léa", "Wouters", references=("70/8090-102",))
    _itsme_to_matching(page, "Léa Wouters")

    for typed in ("70/8090-100", "70/8090-101"):
        page.get_by_role("textbox", name="Client reference").fill(typed)
        page.get_by_role("button", name="Use this reference").click()
        page.get_by_text("We could not find you with this").wait_for()
    assert page.get_by_test_id("tries-left").inner_text() == "You have 1 try left."
    page.get_by_role("textbox", name="Client reference").fill("70/8090-103")
    page.get_by_role("button", name="Use this reference").click()

    page.wait_for_url("**/register/contact-centre/")
    assert "call the contact centre" in page.get_by_role("heading", level=1).inner_text()
    assert "you cannot try again for now" in page.get_by_test_id("contact-centre").inner_text()
    assert settings.CONTACT_PHONE in page.content()
    no_sideways_scroll(page)
    page.screenshot(path="/tmp/paraph-register-blocked-360.png", full_page=True)

    # The matching page is closed, and starting again with itsme stays blocked.
    page.goto("/register/match/")
    page.wait_for_url("**/register/contact-centre/")
    page.goto("/register/")
    page.get_by_role("button", name="Register with itsme").click()
    page.get_by_label("Léa Wouters").check()
    page.get_by_test_id("itsme-confirm").click()
    page.wait_for_url("**/register/contact-centre/")
    blocked = AuditEvent.objects.filter(name="identity.registration.blocked").order_by("id")
    assert [event.data.get("reason", "") for event in blocked] == ["", "blocked_recently"]
    assert not Person.objects.filter(last_name="Wouters").exists()
    assert console_errors == []
