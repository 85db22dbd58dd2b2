"""The home page in a real browser (Debian's Chromium through Playwright):
what a visitor sees, on a desktop and on a 360 px phone, by mouse and by
keyboard."""

import pytest

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/paraph-home-360.png"


@pytest.mark.browser(locale="en-GB")
def test_the_home_page_renders_and_says_it_is_a_sandbox(page, console_errors):
    page.goto("/")

    assert page.locator("h1").is_visible()
    assert page.title().endswith("Paraph")
    banner = page.get_by_role("note")
    assert banner.is_visible()
    assert "Sandbox" in banner.inner_text()
    # The stylesheet loaded (the Content-Security-Policy allows it) and nothing broke.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position")
        == "absolute"
    )
    assert console_errors == []


def test_the_language_switcher_changes_the_language_for_every_page(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"

    page.select_option("#language-select", "nl")
    page.locator(".language-switcher button").click()
    page.wait_for_url("**/")

    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("#language-select").input_value() == "nl"
    page.goto("/no-such-page/")  # another page, the choice follows (cookie)
    assert page.locator("html").get_attribute("lang") == "nl"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["paraph_language"] == "nl"


def test_the_first_tab_stop_is_the_skip_link_and_it_leads_to_the_content(page):
    page.goto("/")

    page.keyboard.press("Tab")

    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.browser(viewport=(360, 740))
def test_on_a_360_px_phone_the_page_does_not_scroll_sideways(page):
    page.goto("/")

    width = page.evaluate("document.scrollingElement.scrollWidth")
    page.screenshot(path=SCREENSHOT, full_page=True)

    assert width <= 360
    # Every control can be reached without zooming: none sticks out.
    too_wide = page.evaluate(
        """[...document.querySelectorAll('a, button, select, input, h1, p')]
             .filter(e => e.getBoundingClientRect().right > 360.5)
             .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert too_wide == []
