"""The contract page (ES-5, ES-10): opened is recorded, the pages are
shown as images, the document can be downloaded, the person signs or
refuses; and why a contract can no longer be signed, in words. Another
person's contract, page image or download is a 404."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from paraph.adminbox.tests.helpers import copies, hours
from paraph.audit.models import AuditEvent
from paraph.contracts.models import Contract

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def anne(person_factory, activated):
    return activated(person_factory(email="anne@example.be", phone="+32470123456"))


@pytest.fixture
def contract(make_contract, anne, clock):
    return make_contract(recipient={"email": "anne@example.be"}, title="Work contract")


@pytest.fixture
def client(anne, logged_in):
    return logged_in(anne)


def _url(contract, tail=""):
    return f"/adminbox/contract/{contract.public_id}/{tail}"


def test_opening_the_contract_records_it_and_shows_its_pages(contract, client):
    body = client.get(_url(contract)).content.decode()

    contract.refresh_from_db()
    assert contract.status == "opened" and contract.opened_at is not None
    assert contract.events.filter(name="opened").count() == 1
    assert "Work contract" in body and "Intérim Test" in body
    assert "Read the contract again, then sign." in body
    assert body.count('class="pdf-page"') == 2  # the sample PDF has two pages
    assert _url(contract, "page/1.png") in body and _url(contract, "page/2.png") in body
    assert "Refuse to sign" in body
    # Opening again changes nothing.
    client.get(_url(contract))
    assert contract.events.filter(name="opened").count() == 1


def test_the_title_is_marked_in_its_own_language_on_a_page_in_another(
    make_contract, anne, clock, client
):
    # The sender writes in French (its language); Anne reads Paraph in English.
    french = make_contract(recipient={"email": "anne@example.be"}, title="Contrat")
    assert french.sender.language == "fr"

    body = client.get(_url(french)).content.decode()

    assert '<h1 lang="fr">Contrat</h1>' in body
    tasks = client.get("/adminbox/").content.decode()
    assert re.search(r'<h2 class="task-title" lang="fr"><a [^>]*>Contrat</a>', tasks)


def test_page_images_are_pngs_of_each_page_kept_private(contract, client):
    first = client.get(_url(contract, "page/1.png"))
    second = client.get(_url(contract, "page/2.png"))

    assert first["Content-Type"] == "image/png" and first.content.startswith(PNG)
    assert second.content.startswith(PNG) and second.content != first.content
    assert "private" in first["Cache-Control"]
    assert client.get(_url(contract, "page/3.png")).status_code == 404
    assert client.get(_url(contract, "page/0.png")).status_code == 404
    # Kept on disk under the document's hash: the second time reads the file.
    assert client.get(_url(contract, "page/1.png")).content == first.content


def test_the_document_downloads_and_the_download_is_audited(contract, client):
    response = client.get(_url(contract, "download/"))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    event = AuditEvent.objects.get(name="contracts.contract.downloaded")
    assert event.data["what"] == "document"


@pytest.mark.parametrize("tail", ["", "page/1.png", "download/", "report/", "refuse/"])
def test_another_persons_contract_is_a_404(tail, contract, person_factory, logged_in):
    stranger = logged_in(person_factory())
    assert stranger.get(_url(contract, tail)).status_code == 404
    assert stranger.post(_url(contract, "refuse/"), {"reason": "no"}).status_code == 404
    contract.refresh_from_db()
    assert contract.status == "sent"


def test_refusing_asks_for_confirmation_then_records_the_reason(contract, client):
    confirm = client.get(_url(contract, "refuse/"))
    assert "Do you really refuse to sign" in confirm.content.decode()
    contract.refresh_from_db()
    assert contract.status == "sent"  # the confirmation page changes nothing

    response = client.post(_url(contract, "refuse/"), {"reason": "Wrong hourly wage"})

    assert response["Location"] == "/adminbox/documents/"
    contract.refresh_from_db()
    assert contract.status == "refused"
    assert contract.events.get(name="refused").data["reason"] == "Wrong hourly wage"
    page = client.get(_url(contract)).content.decode()
    assert "You refused this contract." in page and "Read the contract again" not in page


def test_a_signed_contract_says_so_and_offers_the_report(contract, client):
    Contract.objects.filter(pk=contract.pk).update(
        status="signed",
        signed_pdf=contract.document_pdf.name,
        signed_sha256=contract.document_sha256,
        signed_at=timezone.now(),
        signing_method="password",
        mandate_ref="M-2026-000042",
    )
    body = client.get(_url(contract)).content.decode()
    assert "This contract is already signed." in body
    assert "password under a mandate (M-2026-000042)" in body
    assert "Read the contract again" not in body
    report = client.get(_url(contract, "report/"))
    assert report.status_code == 200
    assert "Signature check report" in report.content.decode()
    assert client.get(_url(contract, "refuse/"))["Location"] == _url(contract)


def test_a_report_whose_stored_file_is_missing_or_altered_says_so_without_a_500(
    contract, client, caplog
):
    Contract.objects.filter(pk=contract.pk).update(
        status="signed",
        signed_pdf="contracts/nowhere/signed.pdf",
        signed_sha256=contract.document_sha256,
        signed_at=timezone.now(),
        signing_method="password",
        mandate_ref="M-2026-000042",
    )
    missing = client.get(_url(contract, "report/"))
    assert missing.status_code == 200
    assert "the copy Paraph keeps is unavailable" in missing.content.decode()
    Contract.objects.filter(pk=contract.pk).update(
        signed_pdf=contract.document_pdf.name, signed_sha256="0" * 64
    )
    altered = client.get(_url(contract, "report/"))
    assert altered.status_code == 200
    assert "the copy Paraph keeps is unavailable" in altered.content.decode()
    assert "is missing from document storage" in caplog.text
    assert "does not match the SHA-256 the database holds" in caplog.text


def test_a_report_of_an_unsigned_contract_is_a_404(contract, client):
    assert client.get(_url(contract, "report/")).status_code == 404


def test_a_revoked_contract_says_the_sender_withdrew_it(contract, client):
    Contract.objects.filter(pk=contract.pk).update(status="revoked")
    body = client.get(_url(contract)).content.decode()
    assert "The sender withdrew this contract" in body


def test_a_contract_past_its_deadline_can_no_longer_be_signed(contract, anne, logged_in, clock):
    clock.move_to(contract.deadline + hours(1), tick=False)
    body = logged_in(anne).get(_url(contract)).content.decode()
    assert "The deadline to sign this contract has passed." in body
    contract.refresh_from_db()
    assert contract.status == "not_signed"


def test_a_superseded_contract_links_to_the_new_version(contract, client):
    (newer,) = copies(contract, 1, title="Work contract v2", version=2)
    Contract.objects.filter(pk=newer.pk).update(supersedes=contract)
    Contract.objects.filter(pk=contract.pk).update(status="superseded")
    body = client.get(_url(contract)).content.decode()
    assert "A new version replaces this contract" in body
    assert _url(newer) in body
