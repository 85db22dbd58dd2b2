"""Helpers for the log-in tests (not a test module): read the code a person
would read in the sandbox SMS inbox, compare pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

from paraph.notifications.models import Channel, SandboxMessage

LOGIN = "/account/login/"
CODE = "/account/login/code/"
RESEND = "/account/login/code/resend/"
# A Monday morning: the contact centre is open, nothing depends on it.
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
_CODE = re.compile(r"\b(\d{6,})\b")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def sms_to(phone: str) -> list[SandboxMessage]:
    return list(SandboxMessage.objects.filter(channel=Channel.SMS, to=phone).order_by("-id"))


def last_code(phone: str) -> str:
    """The code in the newest SMS to ``phone``, as the person reads it."""
    messages = sms_to(phone)
    assert messages, f"no SMS was sent to {phone}"
    match = _CODE.search(messages[0].body_text)
    assert match, messages[0].body_text
    return match.group(1)


def wrong(code: str) -> str:
    """A code that is surely not ``code``."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def without_csrf(html: str) -> str:
    return _CSRF.sub('name="csrfmiddlewaretoken" value=""', html)


def english_client() -> Client:
    client = Client()
    client.cookies["paraph_language"] = "en"
    return client


def submit_code(client: Client, code: str) -> Any:
    return client.post(CODE, {"code": code})
