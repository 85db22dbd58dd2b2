"""Issue 2's journey in a real browser, as a person lives it: log in with the
code read from the sandbox SMS inbox page, switch the language, write to the
contact centre, and find the acknowledgement in that language."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from paraph.notifications.models import Channel, SandboxMessage
from paraph.support.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+32470123456"


def _subject(language: str, **context: object) -> str:
    with translation.override(language):
        return " ".join(
            render_to_string("notifications/email/ticket_received_subject.txt", context).split()
        )


@pytest.mark.browser(viewport=(360, 740), locale="fr-BE")
def test_log_in_from_the_sandbox_sms_then_switch_language_and_contact_us(
    page, console_errors, person_factory, sandbox_email
):
    from playwright.sync_api import expect

    person = person_factory(phone=PHONE, language="fr", email="anne@example.be")

    # A French-speaking browser gets French pages.
    page.goto("/account/login/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.locator("input[name=identifier]").fill("0470 12 34 56")
    page.locator("form:has(input[name=identifier]) button[type=submit]").click()
    page.wait_for_url("**/account/login/code/")

    # The code is read where a demo user reads it: the sandbox inbox page.
    inbox = page.context.new_page()
    inbox.goto("/sandbox/inbox/?to=0470123456")
    expect(inbox.locator(".sandbox-notice, [role=note]").first).to_be_visible()
    sms = inbox.get_by_test_id("sms-body").first.inner_text()
    found = re.search(r"\b(\d{6})\b", sms)
    assert found is not None, sms
    code = found.group(1)
    inbox.close()

    page.locator("input[name=code]").fill(code)
    page.locator("form:has(input[name=code]) button[type=submit]").click()
    page.wait_for_url("**/adminbox/")

    # Switch to Dutch: the page, and the account, follow.
    page.locator("#language-select").select_option("nl")
    page.locator(".language-switcher button").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    person.refresh_from_db()
    assert person.language == "nl"

    # The contact form, reached from the navigation, is in Dutch too and
    # knows who is writing.
    page.locator("header nav a[href='/support/contact/']").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("input[name=email]")).to_have_value("anne@example.be")
    page.locator("select[name=topic]").select_option("contracts")
    page.locator("input[name=reference]").fill("12/3456-789")
    page.locator("textarea[name=message]").fill("Ik vind mijn contract niet terug.")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/support/contact/sent/")

    ticket = Ticket.objects.get()
    assert ticket.person_id == person.pk and ticket.queue == "contracts"
    expect(page.locator("main")).to_contain_text(ticket.number)

    acknowledgement = SandboxMessage.objects.get(channel=Channel.EMAIL, to="anne@example.be")
    assert acknowledgement.subject == _subject("nl", ticket=ticket, number=ticket.number)
    assert acknowledgement.subject != _subject("en", ticket=ticket, number=ticket.number)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert console_errors == []
