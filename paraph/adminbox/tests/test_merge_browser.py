"""The merge of two adminboxes walked in a real browser (ES-12): Anne logs
in with the SMS code, identifies her work address in her preferences,
opens the link of the e-mail that address received, confirms, and finds
the work address's contract among her documents."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from paraph.contracts.tests.fixtures import T0
from paraph.notifications.models import Channel, SandboxMessage
from paraph.signing.selectors import signature_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+32470123456"
LINK = re.compile(r"(https?://[^\s]+/adminbox/merge/[A-Za-z0-9_-]{43}/)")


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_a_person_merges_her_second_adminbox_from_her_preferences(
    page,
    console_errors,
    person_factory,
    make_contract,
    sandbox_email,
    live_server,
    settings,
    time_machine,
):
    from playwright.sync_api import expect  # here: the browser fixture skips without it

    # The clock runs from the suite's moment, where the sandbox PKI is valid
    # whichever test made it (the contracts' start of work is after it).
    time_machine.move_to(T0, tick=True)
    settings.BASE_URL = live_server.url
    person_factory(
        email="anne@example.be", phone=PHONE, language="en", email_verified_at=timezone.now()
    )
    make_contract(recipient={"email": "anne@example.be"}, title="Mission A")
    # The work address got a contract too, hence a second adminbox.
    make_contract(recipient={"email": "anne.work@example.be"}, title="Mission B")

    page.goto("/account/login/")
    page.get_by_label("Mobile phone number or e-mail address").fill("0470 12 34 56")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/account/login/code/")
    sms = SandboxMessage.objects.filter(channel=Channel.SMS, to=PHONE).latest("id")
    code = re.search(r"\b(\d{6})\b", sms.body_text)
    assert code is not None, sms.body_text
    page.get_by_label("Code", exact=True).fill(code.group(1))
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/adminbox/")

    page.goto("/adminbox/preferences/")
    page.get_by_label("Your other e-mail address").fill("anne.work@example.be")
    page.get_by_role("button", name="Identify this address").click()
    expect(page.get_by_test_id("merge-requested")).to_contain_text("anne.work@example.be")

    mail = SandboxMessage.objects.filter(channel=Channel.EMAIL, to="anne.work@example.be").latest(
        "id"
    )
    link = LINK.search(mail.body_text)
    assert link is not None, mail.body_text
    page.goto(link.group(1))
    expect(page.get_by_test_id("merge-counts")).to_contain_text("1 document will move here.")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.get_by_role("button", name="Confirm and merge").click()
    expect(page.get_by_test_id("merge-done")).to_contain_text("anne.work@example.be")

    page.get_by_role("link", name="Open my documents").click()
    page.wait_for_url("**/adminbox/documents/")
    expect(page.get_by_role("link", name="Mission B", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Mission A", exact=True)).to_be_visible()
    # The moved contract's evidence, sealed, downloads from the list.
    with page.expect_download() as download:
        page.get_by_role("link", name="Evidence (sealed PDF) : Mission B").click()
    with open(download.value.path(), "rb") as handle:
        assert signature_report(handle.read()).valid
    assert console_errors == []
