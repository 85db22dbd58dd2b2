"""What a signature covers, as /verify/ and ``paraph verify`` say it: the
whole file, or the updates added after it, what they did and whether the
signature allows them. A page added after signing makes the signature not
valid for the document as it is now, in every language."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from paraph.signing import services
from paraph.signing.tests import producers
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_added(pki) -> bytes:
    signer = producers.Signer(
        key_path=pki.directory / "keys" / "jan-sign.key.pem",
        cert_path=pki.pem_path("jan-sign"),
        chain_paths=(pki.pem_path("citizen-ca"),),
        private_key=pki.private_key("jan-sign"),
    )
    return producers.add_page(producers.pyhanko_sign(contract_pdf(pages=2), signer))


def _page(data: bytes, language: str) -> str:
    client = Client(REMOTE_ADDR="192.0.2.88")
    client.cookies["paraph_language"] = language
    response = client.post(
        "/verify/",
        {"document": SimpleUploadedFile("signed.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# The verdict, and what the coverage row says, in each language.
PAGE_ADDED = {
    "en": (
        "Not valid for the document as it is now: it was changed after this signature "
        "(pages added) in a way the signature does not allow.",
        "No: 1 update was added to the document after this signature: pages added.",
        "This signature does NOT allow these changes",
    ),
    "fr": (
        "Non valide pour le document tel qu'il est maintenant\u00a0: il a été modifié "
        "après cette signature (pages ajoutées)",
        "Non\u00a0: 1 mise à jour a été ajoutée au document après cette signature\u00a0: "
        "pages ajoutées.",
        "Cette signature ne permet PAS ces modifications",
    ),
    "nl": (
        "Niet geldig voor het document zoals het nu is: het werd na deze handtekening "
        "gewijzigd (pagina's toegevoegd)",
        "Nee: na deze handtekening werd 1 update aan het document toegevoegd: pagina's toegevoegd.",
        "Deze handtekening laat deze wijzigingen NIET toe",
    ),
    "de": (
        "Ungültig für das Dokument in seiner jetzigen Form: Es wurde nach dieser Signatur "
        "geändert (Seiten hinzugefügt)",
        "Nein: Nach dieser Signatur wurde dem Dokument 1 Aktualisierung hinzugefügt: "
        "Seiten hinzugefügt.",
        "Diese Signatur erlaubt diese Änderungen NICHT",
    ),
}


@pytest.mark.parametrize("language", sorted(PAGE_ADDED))
def test_a_page_added_after_signing_is_shown_as_such_and_not_valid(
    language, signing_settings, page_added
):
    page = _page(page_added, language)

    verdict, coverage, not_allowed = PAGE_ADDED[language]
    assert verdict in page
    assert coverage in page
    assert not_allowed in page
    assert 'class="message error"' in page  # the document's verdict: not all valid


def test_paraph_verify_says_what_was_added_and_that_it_is_not_allowed(
    signing_settings, page_added, tmp_path, capsys
):
    path = tmp_path / "page-added.pdf"
    path.write_bytes(page_added)

    with pytest.raises(SystemExit) as exit_:
        call_command("verify", str(path))
    text = capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_json:
        call_command("verify", str(path), "--json")
    report = json.loads(capsys.readouterr().out)

    assert exit_.value.code == exit_json.value.code == 1
    assert (
        "covers whole document:  NO, 1 update added after this signature: pages added "
        "(NOT allowed by this signature)"
    ) in text
    assert "problem:                the document was changed after this signature" in text
    assert text.rstrip().endswith("Document: NOT VALID")
    (sig,) = report["signatures"]
    assert sig["integrity"] is True and sig["signature_verifies"] is True
    assert sig["coverage"] == "later_revisions" and sig["later_revisions"] == 1
    assert sig["changes"] == ["pages_added"] and sig["changes_allowed"] is False
    assert sig["valid"] is False


def test_validation_data_added_after_a_seal_is_shown_as_allowed(
    signing_settings, contract, tmp_path: Path, capsys
):
    signing_settings.SIGNING_LEVEL = "B-LT"
    sealed = services.seal_apply(document=contract, document_ref="c")

    page = _page(sealed, "en")
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify", str(path))
    text = capsys.readouterr().out

    assert "The signature in this document is valid" in page
    assert (
        "No: 1 update was added to the document after this signature: validation data and "
        "document time-stamps."
    ) in page
    assert "This signature allows these changes." in page
    assert exit_.value.code == 0
    assert (
        "covers whole document:  no, 1 update added after this signature: validation data "
        "and document time-stamps (allowed by this signature)"
    ) in text
