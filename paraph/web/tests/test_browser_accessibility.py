"""axe-core over the pages people walk through (issue 14): the anonymous
pages, a person's adminbox with a contract to sign, and a sender's back
office, each in a language, at 1280 px and on a 360 px phone, with the WCAG
2.1 A and AA rules. Every page must have 0 violations.

axe-core comes from npm (``paraph/web/tests/axe/package.json``, pinned):
the test installs it with ``npm ci`` when ``node_modules`` is missing.
Without npm, or when the install fails, it fails under CI=true and is
skipped elsewhere, saying why."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from paraph.contracts.tests.fixtures import (  # noqa: F401 - fixtures
    isolated_media,
    make_contract,
    pdf,
    sender,
    sender_factory,
    staff,
)
from paraph.web.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = [(1280, 800), (360, 740)]
ANONYMOUS = [
    "/",
    "/account/login/",
    "/account/register/",
    "/register/",
    "/support/contact/",
    "/sender/contact/",
    "/verify/",
    "/sandbox/inbox/",
    "/no-such-page/",
]
PERSON = [
    "/adminbox/",
    "/adminbox/documents/",
    "/adminbox/preferences/",
    "/adminbox/contract/{contract}/",
    "/adminbox/contract/{contract}/refuse/",
    "/adminbox/mandate/",
    "/account/security/",
    "/support/contact/",
]
SENDER = [
    "/sender/",
    "/sender/contracts/new/",
    "/sender/contracts/{contract}/",
    "/sender/bulk/",
    "/sender/keys/",
    "/sender/webhooks/",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"accessibility test: {reason}", pytrace=False)
    pytest.skip(f"accessibility test: {reason}")


def _axe_source() -> str:
    """axe.min.js, installed with ``npm ci`` first when it is missing (once,
    even with several test processes starting together)."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed (Node.js 20+ with npm is needed for axe-core)")
        lock_path = Path(tempfile.gettempdir()) / "paraph-axe-install.lock"
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not AXE_JS.exists():
                result = subprocess.run(
                    [str(npm), "ci", "--no-audit", "--no-fund"],
                    cwd=AXE_DIR,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                if result.returncode != 0 or not AXE_JS.exists():
                    _unavailable(
                        f"npm ci of axe-core failed ({result.returncode}):\n"
                        f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
                    )
    return AXE_JS.read_text()


@pytest.fixture(scope="module")
def axe_source() -> str:
    return _axe_source()


def _violations(page: Any, axe_source: str) -> list[str]:
    # Injected through the DevTools protocol, not a <script> tag: the pages'
    # Content-Security-Policy allows no inline script, and must not for this.
    page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS,
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + "; ".join(node["html"][:160] for node in violation["nodes"][:3])
        for violation in result["violations"]
    ]


def _walk(page: Any, paths: list[str], axe_source: str, found: dict[str, list[str]]) -> None:
    for path in paths:
        response = page.goto(path)
        assert response is not None
        label = f"{path} @ {page.viewport_size['width']} px"
        # A page must be there (the 404 page is walked on purpose).
        assert response.status < 400 or path == "/no-such-page/", (label, response.status)
        # Logged-in pages are seen as such, not as the log-in page.
        assert page.url.endswith(path), (label, page.url)
        violations = _violations(page, axe_source)
        if violations:
            found[label] = violations


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_axe_finds_no_wcag_2_1_a_or_aa_violation_on_the_walked_pages(
    language,
    axe_source,
    page_factory,
    person_factory,
    make_contract,  # noqa: F811
    staff,  # noqa: F811
    sandbox_email,
):
    recipient = person_factory(
        first_name="Nora", last_name="Janssens", email="nora@example.be", language=language
    )
    contract = make_contract(
        recipient={
            "first_name": "Nora",
            "last_name": "Janssens",
            "email": "nora@example.be",
            "phone": str(recipient.phone),
        }
    )
    staff.language = language
    staff.save(update_fields=["language"])
    found: dict[str, list[str]] = {}
    for width, height in VIEWPORTS:
        locale = f"{language}-BE" if language != "en" else "en-GB"
        anonymous = page_factory(viewport=(width, height), locale=locale)
        anonymous.goto("/")
        anonymous.context.add_cookies(
            [{"name": "paraph_language", "value": language, "url": anonymous.url}]
        )
        _walk(anonymous, ANONYMOUS, axe_source, found)

        nora = page_factory(viewport=(width, height), locale=locale)
        nora.goto("/")
        log_in(nora, recipient, language)
        _walk(nora, [p.format(contract=contract.public_id) for p in PERSON], axe_source, found)

        office = page_factory(viewport=(width, height), locale=locale)
        office.goto("/")
        log_in(office, staff, language)
        _walk(office, [p.format(contract=contract.public_id) for p in SENDER], axe_source, found)

    pages = 2 * (len(ANONYMOUS) + len(PERSON) + len(SENDER))
    print(f"axe-core {language}: {pages} pages, {len(found)} with violations")
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


# What axe cannot see, checked by keyboard: each Tab stop shows a focus ring
# with 3:1 contrast against what is around it (WCAG 1.4.11), round a box
# that has a size.
FOCUS_RING = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  let node = e.parentElement, background = "rgb(255, 255, 255)";
  while (node) {
    const color = getComputedStyle(node).backgroundColor;
    if (color && color !== "rgba(0, 0, 0, 0)" && color !== "transparent") { background = color; break; }
    node = node.parentElement;
  }
  const box = e.getBoundingClientRect();
  return {html: e.outerHTML.slice(0, 100), outline: style.outlineStyle, width: style.outlineWidth,
          color: style.outlineColor, background, boxWidth: box.width, boxHeight: box.height};
}"""


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _tab_stops(page: Any, count: int) -> list[dict[str, Any]]:
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_RING)
        if not stop["html"].startswith("<body"):  # past the last stop, the browser's own
            stops.append(stop)
    return stops


def test_every_tab_stop_shows_a_focus_ring_with_3_to_1_contrast(
    page_factory,
    person_factory,
    make_contract,  # noqa: F811
):
    anne = person_factory(email="anne@example.be", language="fr")
    contract = make_contract(recipient={"email": "anne@example.be"})
    page = page_factory()
    page.goto("/")
    stops = _tab_stops(page, 12)  # the banner, the header, the cards
    log_in(page, anne, "fr")
    page.goto(f"/adminbox/contract/{contract.public_id}/")
    # The page images after the first load lazily: measured before its image
    # arrives, a link is a few pixels high (CI saw it). Every image loaded
    # first, the rings are measured round what a person sees.
    page.evaluate(
        "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )
    loaded = "Array.from(document.images).every(i => i.complete && i.naturalHeight > 0)"
    for _ in range(100):  # polled from here: the page's CSP forbids eval()
        if page.evaluate(loaded):
            break
        page.wait_for_timeout(50)
    stops += _tab_stops(page, 25)  # down to the page images

    weak = [
        (stop["html"], round(_contrast(stop["color"], stop["background"]), 2))
        for stop in stops
        if stop["outline"] == "none"
        or stop["width"] == "0px"
        or _contrast(stop["color"], stop["background"]) < 3
    ]
    assert weak == []
    # The link round a page image is as large as the image: its ring shows.
    page_links = [stop for stop in stops if 'class="page-link"' in stop["html"]]
    assert page_links, [stop["html"] for stop in stops]
    assert all(stop["boxHeight"] > 100 and stop["boxWidth"] > 100 for stop in page_links)
