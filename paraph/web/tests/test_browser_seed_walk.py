"""The first seed text, walked end to end as its people live it (issue 4):
a temporary-work agency's system creates a contract through the API; the
new person finds the e-mail in the sandbox mailbox, activates the adminbox
with the SMS code, finds the contract in the tasks, signs a mandate with an
SMS code, chooses a password and signs the contract with it; the signed PDF
downloaded from the documents tab is accepted by ``paraph verify`` and by
poppler's ``pdfsig``; the agency's webhook receiver got every step, each
with a valid HMAC signature."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from django.core.management import call_command

from paraph.contracts.models import Contract
from paraph.contracts.tests.fixtures import (  # noqa: F401 - fixtures
    api_key_factory,
    contract_json,
    isolated_media,
    pdf,
    sender,
    sender_factory,
)
from paraph.notifications.models import Channel, SandboxMessage
from paraph.senders.services import webhook_endpoint_create
from paraph.senders.tests.receiver import Receiver
from paraph.signing.tests.checks import make_nss_db, pdfsig

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "nora.janssens@example.be"
PHONE = "+32470987654"
PASSWORD = "lantern orchard seventeen pebbles"
EVENTS = ["contract.sent", "contract.opened", "contract.signed"]


def _latest_code(phone: str) -> str:
    sms = SandboxMessage.objects.filter(channel=Channel.SMS, to=phone).latest("id")
    match = re.search(r"\b(\d{6})\b", sms.body_text)
    assert match is not None, sms.body_text
    return match.group(1)


@pytest.mark.browser(viewport=(1280, 900), locale="en-GB")
def test_a_contract_sent_by_api_is_signed_with_a_password_under_a_mandate(
    page,
    console_errors,
    live_server,
    settings,
    sender,  # noqa: F811
    api_key_factory,  # noqa: F811
    pdf,  # noqa: F811
    sandbox_email,
    tmp_path,
    capsys,
):
    from playwright.sync_api import expect

    settings.BASE_URL = live_server.url
    receiver = Receiver(secret=sender.webhook_secret).start()
    webhook_endpoint_create(sender=sender, url=receiver.url, events=EVENTS, actor=None)
    _key, token = api_key_factory()

    # The agency's HR system creates the contract, over real HTTP.
    body = contract_json(
        pdf,
        title="Order picker, week 49",
        recipient={
            "first_name": "Nora",
            "last_name": "Janssens",
            "email": EMAIL,
            "phone": "0470 98 76 54",
            "language": "en",
        },
    )
    created = httpx.post(
        f"{live_server.url}/api/contracts",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "walk-0001"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    public_id = created.json()["id"]

    # The e-mail with its two links, read in the sandbox mailbox.
    page.goto(f"/sandbox/inbox/?to={EMAIL}")
    page.get_by_role("link", name=re.compile("A contract to sign from")).first.click()
    expect(page.get_by_test_id("message-text")).to_contain_text("/adminbox/activate/")
    page.get_by_test_id("message-text").locator("a[href*='/adminbox/activate/']").click()

    # Activation: the phone the agency gave, confirmed by the SMS code.
    expect(page.get_by_label("Mobile phone number")).to_have_value(PHONE)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/adminbox/activation/code/")
    page.get_by_label("Code", exact=True).fill(_latest_code(PHONE))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/adminbox/contract/{public_id}/")

    # The tasks tab lists it; the contract opens with its pages.
    page.get_by_role("link", name="Tasks").click()
    page.get_by_role("link", name="Order picker, week 49", exact=True).click()
    expect(page.get_by_role("img", name="Page 1 of 2")).to_be_visible()
    expect(page.get_by_text("Read the contract again, then sign.")).to_be_visible()

    # Password signing starts with the mandate, signed with an SMS code.
    page.get_by_role("link", name="Sign with my password").click()
    page.wait_for_url("**/adminbox/mandate/?next=*")
    page.get_by_label("By SMS to my mobile phone").check()
    page.get_by_role("button", name="Send me the code").click()
    page.wait_for_url("**/adminbox/mandate/code/")
    page.get_by_label("Code", exact=True).fill(_latest_code(PHONE))
    page.get_by_role("button", name="Sign my mandate").click()
    page.wait_for_url("**/adminbox/mandate/password/")
    page.get_by_label("Your signing password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Confirm my mandate").click()
    page.wait_for_url("**/adminbox/mandate/done/")
    page.get_by_role("link", name="Continue to your contract").click()

    page.get_by_label("I have read the contract and I sign it.").check()
    page.get_by_label("Your signing password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the contract").click()
    page.wait_for_url("**/signed/")
    expect(page.get_by_role("heading", name="Signed")).to_be_visible()

    # The signed PDF, downloaded from the documents tab.
    page.goto("/adminbox/documents/")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the signed PDF")).first.click()
    signed = tmp_path / "signed.pdf"
    download.value.save_as(signed)
    contract = Contract.objects.get(public_id=public_id)
    assert contract.status == "signed" and contract.signing_method == "password"
    assert signed.read_bytes() == contract.signed_pdf.open("rb").read()

    with pytest.raises(SystemExit) as verdict:
        call_command("verify", str(signed), "--json")
    report = json.loads(capsys.readouterr().out)
    assert verdict.value.code == 0 and report["valid"] is True
    people = [s for s in report["signatures"] if s["kind"] == "signature"]
    assert people[-1]["signer"] == "Nora Janssens"
    # B-LTA, the default: after her signature come only its validation data
    # and a document time-stamp, which Paraph's validator checks too.
    assert people[-1]["level"] == "B-LTA" and people[-1]["modifications"] == "lta_updates"
    assert report["signatures"][-1]["kind"] == "document_timestamp"
    assert report["signatures"][-1]["covers_whole_document"]

    root = settings.DATA_DIR / "pki" / "root.pem"
    signatures = pdfsig(signed, make_nss_db(tmp_path / "nss", [root]))
    # pdfsig cannot verify document time-stamps (it says "not yet verified")
    made = [s for s in signatures if not s.document_timestamp]
    assert made and all(s.valid and s.trusted for s in made)
    assert any(s.signer == "Nora Janssens" for s in made)

    # The agency heard of each step, and could check each message.
    receiver.stop()
    types = [r.payload["type"] for r in receiver.received]
    assert types == ["contract.sent", "contract.opened", "contract.signed"]
    assert all(r.signature_valid for r in receiver.received)
    assert receiver.received[-1].payload["data"]["contract"]["id"] == public_id
    assert console_errors == []
