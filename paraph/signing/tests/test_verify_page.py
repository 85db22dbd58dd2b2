"""/verify/: anyone uploads a PDF and reads the report on its signatures."""

from __future__ import annotations

import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from paraph.signing import services, views

URL = "/verify/"


def _english(client):
    """The page in English (the site's default is French)."""
    client.cookies["paraph_language"] = "en"
    return client


@pytest.fixture
def client_ip_1():
    return _english(Client(REMOTE_ADDR="192.0.2.10"))


def _upload(client, data, name="contract.pdf"):
    return client.post(
        URL, {"document": SimpleUploadedFile(name, data, content_type="application/pdf")}
    )


def _text(response):
    return response.content.decode()


@pytest.mark.django_db
def test_the_page_offers_an_upload_form(client):
    response = _english(client).get(URL)

    assert response.status_code == 200
    assert reverse("signing:verify") == URL
    page = _text(response)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert "not stored" in page


@pytest.mark.django_db
def test_a_sealed_document_is_reported_valid_in_plain_words(
    client_ip_1, signing_settings, contract
):
    sealed = services.seal_apply(document=contract, document_ref="c")

    response = _upload(client_ip_1, sealed)

    assert response.status_code == 200
    page = _text(response)
    assert "The signature in this document is valid" in page
    assert "Paraph seal (Paraph test)" in page  # signer
    assert "Paraph Root CA (Paraph test)" in page  # issuer
    assert "Paraph Sandbox TSA (Paraph test)" in page  # time-stamp authority
    assert "B-T" in page
    assert "Checked: not revoked" in page
    assert "Yes, up to Paraph Root CA (Paraph test)" in page
    assert "Verifies with the signer&#x27;s certificate" in page or (
        "Verifies with the signer's certificate" in page
    )
    assert "Certifies the document: form filling and signatures allowed" in page
    report = response.context["report"]
    assert report.valid and report.signatures[0].covers_whole_document


@pytest.mark.django_db
def test_a_changed_document_is_reported_not_valid(client_ip_1, signing_settings, contract):
    sealed = services.seal_apply(document=contract, document_ref="c")
    tampered = sealed.replace(b"/BaseFont /Helvetica", b"/BaseFont /Helvetico", 1)

    page = _text(_upload(client_ip_1, tampered))

    assert "NOT all valid" in page
    assert "NO: the signed content was changed" in page
    # who signed a changed document is not the question: not "unknown authority"
    assert "Not checked: the signed content was changed" in page
    assert "authority Paraph does not know" not in page


@pytest.mark.django_db
def test_an_unsigned_document_says_so(client_ip_1, signing_settings, contract):
    page = _text(_upload(client_ip_1, contract))

    assert "This document contains no electronic signature." in page


def _encrypted(contract, tmp_path):
    src, dst = tmp_path / "plain.pdf", tmp_path / "encrypted.pdf"
    src.write_bytes(contract)
    subprocess.run(
        ["qpdf", "--encrypt", "user", "owner", "256", "--", str(src), str(dst)], check=True
    )
    return dst.read_bytes()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "status", "message"),
    [
        (lambda c, t: b"", 422, "The file is empty"),
        (lambda c, t: b"PK\x03\x04 a zip" + bytes(300), 422, "This file is not a PDF document"),
        (lambda c, t: c[: len(c) // 2], 422, "This PDF is incomplete"),
        (_encrypted, 422, "protected with a password"),
        (lambda c, t: c + b"%" + bytes(6 * 1024 * 1024), 413, "larger than 5 MB"),
    ],
    ids=["empty", "not-a-pdf", "truncated", "encrypted", "too-big"],
)
def test_bad_uploads_get_a_clear_message_in_the_form(
    client_ip_1, signing_settings, contract, tmp_path, make, status, message
):
    response = _upload(client_ip_1, make(contract, tmp_path))

    assert response.status_code == status
    page = _text(response)
    assert message in page
    assert 'role="alert"' in page and "Traceback" not in page
    assert response.context["report"] is None


@pytest.mark.django_db
def test_no_file_at_all(client_ip_1, signing_settings):
    response = client_ip_1.post(URL, {})

    assert response.status_code == 422
    assert "Choose the PDF document to check." in _text(response)


@pytest.mark.django_db
def test_nothing_uploaded_touches_the_disk(client_ip_1, signing_settings, contract, tmp_path):
    # Django writes uploads over 2.5 MB to a temporary file; this page never does.
    signing_settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    from paraph.signing.tests.pdfs import contract_pdf

    big = services.seal_apply(
        document=contract_pdf(pages=3, extra_bytes=3_000_000), document_ref="c"
    )
    assert len(big) > 2_621_440

    response = _upload(client_ip_1, big)

    assert response.context["report"].valid
    assert list((tmp_path / "uploads").iterdir()) == []


@pytest.mark.django_db
def test_checks_are_rate_limited_per_address(signing_settings, contract, monkeypatch):
    monkeypatch.setattr(views, "VERIFY_RATE_LIMIT", 2)
    first = _english(Client(REMOTE_ADDR="192.0.2.20"))
    other = _english(Client(REMOTE_ADDR="192.0.2.21"))

    statuses = [_upload(first, contract).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    refused = _upload(first, contract)
    assert "You have checked many documents in a short time" in _text(refused)
    assert refused.context["report"] is None
    assert _upload(other, contract).status_code == 200


@pytest.mark.django_db
def test_the_form_is_csrf_protected(signing_settings, contract):
    strict = Client(enforce_csrf_checks=True)

    response = _upload(strict, contract)

    assert response.status_code == 403


@pytest.mark.django_db
def test_a_signature_from_an_unknown_authority_reads_sound_but_not_trusted(
    client_ip_1, signing_settings, contract, pki
):
    sealed = services.seal_apply(document=contract, document_ref="c")
    signing_settings.SIGNING_TRUST_ROOTS = [str(pki.pem_path("belgium-root"))]
    signing_settings.SIGNING_INTERMEDIATES = []

    page = " ".join(_text(_upload(client_ip_1, sealed)).split())

    assert "the document is unchanged and the signature is sound" in page
    assert "comes from an authority Paraph does not know" in page
    assert "No: issued by an authority Paraph does not know" in page
    assert "Yes: the signed content is unchanged" in page
