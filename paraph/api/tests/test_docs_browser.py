"""The API reference page works in a real browser under Paraph's CSP."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_page_renders_every_operation(page, console_errors):
    from playwright.sync_api import expect

    page.goto("/api/docs")

    expect(page.locator(".swagger-ui .title").first).to_contain_text("Paraph API")
    expect(page.locator(".opblock-summary-path", has_text="/api/contracts").first).to_be_visible()
    assert console_errors == []
