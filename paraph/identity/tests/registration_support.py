"""Helpers for the registration and regaining-access tests (not a test
module): walk the sandbox itsme, read codes as a person would from the
sandbox inboxes, and a provider double for the eID card and IDnow."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.test import Client
from django.urls import reverse

from paraph.identity.providers import IdentityClaims
from paraph.notifications.models import Channel, SandboxMessage

# A Monday morning: the contact centre is open.
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
_CODE = re.compile(r"\b(\d{6,})\b")

REGISTER = "/register/"
MATCH = "/register/match/"
PHONE = "/register/phone/"
PHONE_CODE = "/register/phone/code/"
EMAIL = "/register/email/"
EMAIL_CODE = "/register/email/code/"
BLOCKED = "/register/contact-centre/"
ALREADY = "/register/already-registered/"


def english_client() -> Client:
    client = Client()
    client.cookies["paraph_language"] = "en"
    return client


def last_code(*, channel: str, to: str) -> str:
    """The code in the newest message to ``to``, as the person reads it."""
    message = SandboxMessage.objects.filter(channel=channel, to=to).order_by("-id").first()
    assert message is not None, f"nothing was sent to {to}"
    match = _CODE.search(message.body_text)
    assert match, message.body_text
    return match.group(1)


def sms_code(phone: str) -> str:
    return last_code(channel=Channel.SMS, to=phone)


def email_code(address: str) -> str:
    return last_code(channel=Channel.EMAIL, to=address)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def sandbox_itsme(
    client: Client,
    identity: str,
    *,
    start: str = "/register/start/itsme/",
    data: dict[str, str] | None = None,
) -> Any:
    """Start with itsme, confirm ``identity`` on the sandbox page, follow
    the callback; returns the callback's response (not followed)."""
    response = client.post(start, data or {})
    assert response.status_code == 302, response
    page = response["Location"]
    assert page.startswith(reverse("identity:sandbox_itsme")), page
    state = parse_qs(urlparse(page).query)["state"][0]
    confirmed = client.post(
        reverse("identity:sandbox_itsme"),
        {"state": state, "identity": identity, "action": "confirm"},
    )
    assert confirmed.status_code == 302, confirmed
    return client.get(confirmed["Location"])


class StaticProvider:
    """A provider double that proves whatever ``claims`` holds: it stands in
    at the Protocol's edge for the eID card and IDnow, whose real modules
    are tested on their own."""

    method = "eid"
    claims: ClassVar[IdentityClaims | None] = None
    started: ClassVar[list[str]] = []

    def start(self, request: HttpRequest, *, purpose: str) -> HttpResponse:
        StaticProvider.started.append(purpose)
        assert StaticProvider.claims is not None
        return HttpResponseRedirect(
            reverse("identity:complete", args=[StaticProvider.claims.method])
        )

    def complete(self, request: HttpRequest) -> IdentityClaims:
        assert StaticProvider.claims is not None
        return StaticProvider.claims


STATIC_PROVIDER = "paraph.identity.tests.registration_support.StaticProvider"


# --- In a real browser ----------------------------------------------------------


def inbox_text(page_factory: Any, recipient: str, *, subject: str = "") -> str:
    """Open the sandbox inbox in another tab, as the person would on their
    phone, and read the newest message to ``recipient``: an SMS, or with
    ``subject`` the newest e-mail of that subject."""
    from urllib.parse import quote

    inbox = page_factory(viewport=(360, 740), locale="en-GB")
    inbox.goto(f"/sandbox/inbox/?to={quote(recipient)}")
    if subject:
        inbox.get_by_role("link", name=subject).first.click()
        text = str(inbox.get_by_test_id("message-text").inner_text())
    else:
        text = str(inbox.get_by_test_id("sms-body").first.inner_text())
    inbox.close()
    return text


def inbox_code(page_factory: Any, recipient: str, *, email: bool = False) -> str:
    """The newest code sent to ``recipient``, read in the sandbox inbox."""
    text = inbox_text(
        page_factory, recipient, subject="Your Paraph verification code" if email else ""
    )
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360


def type_pin(page: Any, pin: str = "1234") -> None:
    """Type the PIN in the virtual card reader's prompt, then Enter."""
    pin_input = page.get_by_test_id("eid-vr-pin")
    pin_input.fill("")
    pin_input.focus()
    page.keyboard.type(pin)
    page.keyboard.press("Enter")


def read_virtual_card(page: Any, holder: str = "", pin: str = "1234") -> None:
    """On the eID page: wait for the reader, read the card of ``holder``
    (the first card when empty) and type the PIN."""
    page.get_by_test_id("eid-status").filter(has_text="Ready").wait_for()
    page.get_by_test_id("eid-read").click()
    page.get_by_test_id("eid-virtual-reader").wait_for()
    if holder:
        page.get_by_label(holder).check()
    type_pin(page, pin)
