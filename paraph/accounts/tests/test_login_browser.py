"""The log-in in a real browser on a 360 px phone: the code read from the
sandbox SMS inbox, the cool-down counting down, nothing refused by the
Content-Security-Policy."""

from __future__ import annotations

import re

import pytest

from paraph.notifications.models import Channel, SandboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+32470123456"
SCREENSHOT = "/tmp/paraph-login-code-360.png"


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_a_person_logs_in_on_a_phone_with_the_code_from_the_sms(
    page, console_errors, person_factory
):
    from playwright.sync_api import expect  # here: the browser fixture skips without it

    person_factory(phone=PHONE, language="en")
    page.goto("/account/login/")
    page.get_by_label("Mobile phone number or e-mail address").fill("0470 12 34 56")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/account/login/code/")
    # The code was sent: the focus is on the field to type it.
    expect(page.get_by_label("Code", exact=True)).to_be_focused()

    countdown = page.locator("#resend-wait .countdown")
    first = int(countdown.inner_text())
    expect(countdown).to_have_text(str(first - 1))  # the script counts down
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path=SCREENSHOT, full_page=True)

    sms = SandboxMessage.objects.filter(channel=Channel.SMS, to=PHONE).latest("id")
    found = re.search(r"\b(\d{6})\b", sms.body_text)
    assert found is not None, sms.body_text
    code = found.group(1)
    page.get_by_label("Code", exact=True).fill(f"{code[:3]} {code[3:]}")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/adminbox/")
    assert console_errors == []
