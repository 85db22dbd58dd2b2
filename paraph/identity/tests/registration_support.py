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
