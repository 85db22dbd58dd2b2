"""Signing with the eID card in a real browser (Debian's Chromium through
Playwright), in sandbox mode with the virtual card reader: the mandate
signed with the card goes on to its password, and a cancelled card reads
the same on the contract's page and on the mandate's."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from paraph.adminbox.tests.test_eid_fixtures import *  # noqa: F403
from paraph.adminbox.tests.test_eid_fixtures import page_url
from paraph.mandates.models import Mandate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in_with_a_mandate_started(page: Any, live_server: Any, person: Any) -> None:
    """Logged in, the mandate started with the card as its way to sign."""
    client = Client()
    client.force_login(person)
    started = client.post(reverse("mandates:start"), {"channel": "eid"})
    assert started["Location"] == reverse("mandates:eid")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": "paraph_language", "value": "en", "url": live_server.url},
        ]
    )


def _card_in_the_reader(page: Any, name: str) -> None:
    """The page's button, then the card ``name`` given to the reader for
    its signature certificate (no PIN asked for that)."""
    page.get_by_test_id("eid-sign-status").filter(has_text="Ready").wait_for()
    page.get_by_test_id("eid-sign-start").click()
    page.get_by_test_id("eid-virtual-reader").wait_for()
    page.get_by_label(name).check()
    page.get_by_test_id("eid-vr-ok").click()


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_the_mandate_signed_with_the_virtual_card_goes_on_to_its_password(
    page, cards, holder, live_server, console_errors
):
    anne = holder("card1")
    _log_in_with_a_mandate_started(page, live_server, anne)

    page.goto(live_server.url + reverse("mandates:eid"))
    assert "Sandbox — virtual eID card" in page.get_by_test_id("eid-sandbox-notice").inner_text()
    _card_in_the_reader(page, "Anne Martin")
    page.get_by_text("A website asks your card to sign a document").wait_for()
    pin = page.get_by_test_id("eid-vr-pin")
    pin.fill("1234")
    pin.press("Enter")

    page.wait_for_url(f"**{reverse('mandates:password')}", timeout=30_000)
    mandate = Mandate.objects.get(person=anne)
    assert (mandate.status, mandate.signed_with) == ("signed", "eid")
    assert console_errors == []


@pytest.mark.browser(viewport=(1280, 800), locale="en-GB")
def test_a_cancelled_card_reads_the_same_on_the_contract_and_on_the_mandate(
    page, cards, holder, contract_for, live_server
):
    luc = holder("revoked")
    contract = contract_for(luc)
    _log_in_with_a_mandate_started(page, live_server, luc)
    seen = {}

    for name, url, other_way in (
        ("contract", page_url(contract), "Sign with a password instead"),
        ("mandate", reverse("mandates:eid"), "Sign with a code instead"),
    ):
        page.goto(live_server.url + url)
        _card_in_the_reader(page, "Luc Janssens")
        error = page.locator("[data-eid-sign-error-text]")
        error.filter(has_text="cancelled").wait_for()
        seen[name] = error.inner_text()
        # the way without the card is offered, and the button stays off
        assert page.get_by_role("link", name=other_way).first.is_visible()
        assert page.get_by_test_id("eid-sign-start").is_disabled()

    assert seen["contract"].removesuffix(" Sign with a password instead.") == seen[
        "mandate"
    ].removesuffix(" Sign your mandate with a code instead.")
    assert "Your eID card was cancelled" in seen["mandate"]
