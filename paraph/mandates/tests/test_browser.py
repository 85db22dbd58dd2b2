"""In a real browser on a 360 px phone: the mandate signed with the code
read from the sandbox SMS inbox, the password chosen with the strength
meter, the contract signed with the password; nothing refused by the
Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from paraph.contracts.models import Contract
from paraph.contracts.tests.fixtures import T0
from paraph.mandates.tests.conftest import PASSWORD, verified
from paraph.notifications.models import Channel, SandboxMessage
from paraph.signing.selectors import signature_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/paraph-mandate-password-360.png"


def latest_code(phone: str) -> str:
    sms = SandboxMessage.objects.filter(channel=Channel.SMS, to=phone).latest("id")
    match = re.search(r"\b(\d{6})\b", sms.body_text)
    assert match is not None
    return match.group(1)


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_a_mandate_signed_by_sms_code_then_a_contract_signed_with_the_password(
    page, console_errors, make_contract, time_machine
):
    from playwright.sync_api import expect

    # The test suite's moment (the sandbox PKI may have been made then, by
    # another test), with the clock running for the live server.
    time_machine.move_to(T0, tick=True)
    contract = make_contract()
    person = verified(contract.recipient)
    person.language = "en"
    person.save(update_fields=["language"])

    page.goto("/account/login/")
    page.get_by_label("Mobile phone number or e-mail address").fill(person.email)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/account/login/code/")
    page.get_by_label("Code", exact=True).fill(latest_code(person.phone))
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(lambda url: "/account/login/" not in url)

    sign_url = reverse("mandates:sign_password", kwargs={"public_id": contract.public_id})
    page.goto(sign_url)
    page.wait_for_url("**/adminbox/mandate/?next=*")
    expect(page.get_by_text("It lasts one year.")).to_be_visible()
    page.get_by_label("By SMS to my mobile phone").check()
    page.get_by_role("button", name="Send me the code").click()
    page.wait_for_url("**/adminbox/mandate/code/")
    page.get_by_label("Code", exact=True).fill(latest_code(person.phone))
    page.get_by_role("button", name="Sign my mandate").click()
    page.wait_for_url("**/adminbox/mandate/password/")

    meter = page.locator("#password-strength")
    page.get_by_label("Your signing password").fill("short")
    expect(meter).to_be_visible()
    expect(meter.locator(".meter-words")).to_have_text("Too short: at least 12 characters.")
    # The meter shows the server's verdict: what the form would refuse is
    # never "very strong" (the same rules, the person's own name included).
    for refused, why in (
        ("P4ssw0rd1234!", "too common or too easy to guess"),
        ("AnneMartin2026", "must not contain your name"),
    ):
        page.get_by_label("Your signing password").fill(refused)
        expect(meter.locator(".meter-words")).to_contain_text("Not accepted:")
        expect(meter.locator(".meter-words")).to_contain_text(why)
        expect(meter).to_have_attribute("data-verdict", "refused")
    page.get_by_label("Your signing password").fill(PASSWORD)
    expect(meter).to_have_attribute("data-verdict", "accepted")
    expect(meter.locator(".meter-words")).to_have_text(re.compile("Strong|Very strong"))
    page.get_by_label("The same password again").fill(PASSWORD)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Confirm my mandate").click()
    page.wait_for_url("**/adminbox/mandate/done/")
    expect(page.get_by_role("heading", name="Your mandate is active")).to_be_visible()

    page.get_by_role("link", name="Continue to your contract").click()
    page.wait_for_url(f"**{sign_url}")
    expect(page.get_by_text(contract.title)).to_be_visible()
    page.get_by_label("I have read the contract and I sign it.").check()
    page.get_by_label("Your signing password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the contract").click()
    page.wait_for_url("**/signed/")
    expect(page.get_by_role("heading", name="Signed")).to_be_visible()

    signed = Contract.objects.get(pk=contract.pk)
    assert signed.status == "signed" and signed.signing_method == "password"
    with signed.signed_pdf.open("rb") as handle:
        report = signature_report(handle.read())
    assert report.valid and report.signed[-1].signer == person.get_full_name()
    assert console_errors == []
