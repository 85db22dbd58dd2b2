"""The sandbox inbox and My messages in a real browser (Debian's Chromium
through Playwright): on a 360 px phone, by keyboard, under the CSP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from paraph.notifications.models import Channel, OutboundMessage, SandboxMessage
from paraph.notifications.providers.sandbox import SandboxSmsGateway

pytestmark = pytest.mark.browser

TOO_WIDE = """[...document.querySelectorAll('a, button, input, h1, p, td, th, dd')]
    .filter(e => e.getBoundingClientRect().right > 360.5)
    .map(e => e.outerHTML.slice(0, 80))"""


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


@pytest.fixture
def sandbox_messages(transactional_db):
    gateway = SandboxSmsGateway()
    gateway.send(to="+32470111111", text="Your Paraph code is 111111. Never share it.")
    gateway.send(to="+32470222222", text="Your Paraph code is 222222. Never share it.")
    SandboxMessage.objects.create(
        channel=Channel.EMAIL,
        to="a.very.long.address.of.someone@a-long-domain-name.example.be",
        sender="Paraph <no-reply@paraph.localhost>",
        subject="A rather long subject line that must wrap on a small phone screen",
        body_text="Hello,\n\nhttps://paraph.example/a/very/long/link/that/must/not/push/the/page/sideways",
        body_html='<!doctype html><html><body style="margin:0"><p style="color:#333">Hello</p>'
        "<script>document.title = 'ran'</script></body></html>",
    )


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_the_sandbox_inbox_on_a_phone_by_keyboard(page, console_errors, sandbox_messages):
    page.goto("/sandbox/inbox/")

    assert "nothing here was really sent" in page.locator(".sandbox-notice").inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/paraph-sandbox-inbox-360.png", full_page=True)

    page.locator("#id_to").focus()
    page.keyboard.type("0470 11 11 11")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sandbox/inbox/?to=*")

    code = page.locator('tr[data-recipient="+32470111111"] [data-testid="sms-body"]')
    assert code.inner_text() == "Your Paraph code is 111111. Never share it."
    assert page.locator('[data-testid="sms-body"]').count() == 1
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_the_html_part_of_a_sandbox_email_runs_no_script(page, sandbox_messages):
    email = SandboxMessage.objects.get(channel=Channel.EMAIL)
    page.goto(f"/sandbox/inbox/{email.pk}/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360

    page.get_by_role("link", name="Open the HTML version").click()
    page.wait_for_url(f"**/sandbox/inbox/{email.pk}/html/")

    assert page.get_by_text("this e-mail was not really sent").is_visible()
    assert page.get_by_text("Hello", exact=True).is_visible()
    assert page.title() != "ran"


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_my_messages_on_a_phone_by_keyboard(page, live_server, console_errors, person_factory):
    person = person_factory(language="en")
    now = timezone.now()
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            person=person,
            channel=Channel.EMAIL,
            to=person.email,
            template="test_message",
            language="en",
            subject=f"Your contract number {n} from a temporary-work agency is ready to sign",
            body_text=f"Hello,\n\nContract {n} waits in your adminbox.",
            status=OutboundMessage.Status.SENT,
            sent_at=now + dt.timedelta(minutes=n),
        )
        for n in range(25)
    )
    _log_in(page, live_server, person)

    page.goto("/messages/")

    assert page.locator('tr[data-testid="message-row"]').count() == 20
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert page.evaluate(TOO_WIDE) == []
    page.screenshot(path="/tmp/paraph-my-messages-360.png", full_page=True)

    first = page.get_by_role("link", name="Your contract number 24 from")
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/messages/*/")
    assert "Contract 24 waits in your adminbox." in page.get_by_test_id("message-body").inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert console_errors == []
