"""The representative change (CO-5) in a real browser, on the demo data:
Anne, the demo company's representative, confirms who she is with the
sandbox itsme, names her company and designates Marie; Marie registers with
the sandbox itsme, opens the link from her e-mail and accepts; Anne's next
page for the company is refused."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from paraph.accounts.models import Person
from paraph.companies.demo import DEMO_COMPANY
from paraph.companies.models import RegisteredCompany
from paraph.notifications.models import Channel, SandboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANNE_PHONE = "+32470123456"
MARIE_PHONE = "+32470555666"
MARIE_EMAIL = "marie.dubois@example.be"
SCREENSHOT = "/tmp/paraph-representative-designate.png"


def _code(to: str, channel: str) -> str:
    message = SandboxMessage.objects.filter(channel=channel, to=to).latest("id")
    found = re.search(r"\b(\d{6})\b", message.body_text)
    assert found, message.body_text
    return found.group(1)


def _sandbox_itsme(page, name: str) -> None:
    page.get_by_test_id("sandbox-itsme-notice").wait_for()
    page.get_by_label(name).check()
    page.get_by_test_id("itsme-confirm").click()


def test_anne_designates_marie_who_registers_and_accepts(page_factory, settings):
    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"
    call_command("demo", stdout=io.StringIO())
    Person.objects.filter(phone=ANNE_PHONE).update(language="en")
    errors: list[str] = []

    # Anne logs in with a code by SMS and acts for her company.
    anne = page_factory(locale="en-GB")
    anne.on("pageerror", lambda error: errors.append(str(error)))
    anne.goto("/account/login/")
    anne.get_by_label("Mobile phone number or e-mail address").fill("0470 12 34 56")
    anne.get_by_role("button", name="Send me a code").click()
    anne.wait_for_url("**/account/login/code/")
    anne.get_by_label("Code", exact=True).fill(_code(ANNE_PHONE, Channel.SMS))
    anne.get_by_role("button", name="Log in", exact=True).click()
    anne.wait_for_url("**/company/act/**")
    anne.get_by_label("Boulangerie Dupont (0812.345.603)").check()
    anne.get_by_role("button", name="Continue").click()
    anne.wait_for_url("**/adminbox/")

    # Step 1: identify yourself (the SMS log-in is not enough).
    anne.goto("/company/")
    anne.get_by_role("link", name="Designate another digital representative").click()
    anne.get_by_test_id("step-up-needed").wait_for()
    anne.get_by_role("button", name="Confirm with itsme").click()
    _sandbox_itsme(anne, "Anne Martin")
    # Step 2: identify your company (filled in from the link).
    anne.wait_for_url("**/company/representative/?number=0812345603")
    assert anne.get_by_label("Enterprise number").input_value() == "0812345603"
    anne.get_by_role("button", name="Continue").click()
    # Step 3: designate the new representative.
    anne.wait_for_url("**/company/0812345603/representative/")
    anne.get_by_label("Name of the new digital representative").fill("Marie Dubois")
    anne.get_by_label("Their e-mail address").fill(MARIE_EMAIL)
    anne.get_by_label("Their national register number").fill("90.02.14-002.27")
    anne.get_by_role("button", name="Designate").click()
    anne.get_by_test_id("designation-waiting").wait_for()
    assert "Marie Dubois is designated" in anne.content()
    anne.screenshot(path=SCREENSHOT, full_page=True)

    # Marie registers with the sandbox itsme (found by her national number).
    marie = page_factory(locale="en-GB")
    marie.on("pageerror", lambda error: errors.append(str(error)))
    marie.goto("/register/")
    marie.get_by_role("button", name="Register with itsme").click()
    _sandbox_itsme(marie, "Marie Dubois")
    marie.wait_for_url("**/register/phone/")
    marie.get_by_label("Mobile phone number").fill("0470 55 56 66")
    marie.get_by_role("button", name="Send me a code").click()
    marie.wait_for_url("**/register/phone/code/")
    marie.get_by_label("Code", exact=True).fill(_code(MARIE_PHONE, Channel.SMS))
    marie.get_by_role("button", name="Confirm").click()
    marie.wait_for_url("**/register/email/")
    marie.get_by_label("E-mail address").fill(MARIE_EMAIL)
    marie.get_by_role("button", name="Send me a code").click()
    marie.wait_for_url("**/register/email/code/")
    marie.get_by_label("Code", exact=True).fill(_code(MARIE_EMAIL, Channel.EMAIL))
    marie.get_by_role("button", name="Confirm").click()
    marie.wait_for_url("**/adminbox/")

    # The link from her e-mail, then "accept".
    designation = SandboxMessage.objects.filter(
        channel=Channel.EMAIL, to=MARIE_EMAIL, subject__contains="digital representative"
    ).latest("id")
    link = re.search(r"https?://\S+(/company/representative/accept/\S+/)", designation.body_text)
    assert link, designation.body_text
    marie.goto(link.group(1))
    assert "Anne Martin designated you as the digital representative" in marie.content()
    marie.get_by_role("button", name="Accept and become the digital representative").click()
    marie.wait_for_url("**/company/")
    assert "You are now the digital representative of Boulangerie Dupont" in marie.content()
    company = RegisteredCompany.objects.get(number=DEMO_COMPANY["number"])
    assert company.representative.email == MARIE_EMAIL

    # Anne's next page for the company is refused, naming why.
    anne.goto("/adminbox/")
    assert (
        "You are neither the digital representative nor a user of Boulangerie Dupont"
        in anne.content()
    )
    told = SandboxMessage.objects.filter(channel=Channel.EMAIL, subject__contains="is now the")
    assert {message.to for message in told} >= {"anne.martin@demo.paraph.be"}
    assert errors == []
