"""Helpers for browser tests (Playwright pages from ``page_factory``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.test import Client


def log_in(page: Any, person: Any, language: str | None = None) -> None:
    """Give ``page``'s browser a session of ``person`` (as after a log-in),
    and the language cookie when ``language`` is given. The page must have
    opened a page of the site first (for the cookies' address)."""
    client = Client()
    client.force_login(person)
    cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": page.url,
        }
    ]
    if language:
        cookies.append({"name": "paraph_language", "value": language, "url": page.url})
    page.context.add_cookies(cookies)


def in_a_month() -> str:
    """A start of work a month from now, as a datetime-local field takes it
    (a browser walk's clock is not pinned: never a fixed calendar date)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y-%m-%dT08:00")
