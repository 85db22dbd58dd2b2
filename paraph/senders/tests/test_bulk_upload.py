"""Bulk sending from the back office: a CSV of recipients and a zip of
PDFs, processed in the background, with progress the sender watches."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from paraph.contracts.models import BulkBatch, Contract

pytestmark = pytest.mark.django_db

CSV = (
    "first_name;last_name;email;phone;start_of_work;pdf;external_reference\n"
    "Anne;Martin;anne@example.be;0470123456;2026-12-03 08:00;anne.pdf;W-1\n"
    "Jan;Peeters;jan@example.be;0470654321;2026-12-03 08:00;jan.pdf;W-2\n"
    "Eva;Janssens;eva@example.be;0470111222;2026-12-03 08:00;missing.pdf;W-3\n"
)


def _zip(pdf: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("contracts/anne.pdf", pdf)
        archive.writestr("contracts/jan.pdf", pdf)
    return buffer.getvalue()


@pytest.fixture
def office(client, staff, clock):
    staff.language = "en"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_a_csv_and_a_zip_make_a_batch_with_progress(office, pdf, clock, deliver):
    with deliver():
        response = office.post(
            "/sender/bulk/",
            {
                "csv_file": SimpleUploadedFile("r.csv", CSV.encode("utf-8-sig")),
                "zip_file": SimpleUploadedFile("c.zip", _zip(pdf)),
                "title": "Contrat de mission",
            },
        )

    batch = BulkBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sender/bulk/{batch.public_id}/"
    progress = office.get(f"/sender/bulk/{batch.public_id}/progress.json").json()
    assert progress | {"text": ""} == {
        "status": "done",
        "total": 3,
        "processed": 3,
        "succeeded": 2,
        "failed": 1,
        "percent": 100,
        "text": "",
    }
    page = office.get(response["Location"]).content.decode()
    assert "missing.pdf" in page
    titles = set(Contract.objects.values_list("title", flat=True))
    assert titles == {"Contrat de mission"}


def test_a_csv_without_its_columns_is_refused_whole(office, pdf):
    response = office.post(
        "/sender/bulk/",
        {
            "csv_file": SimpleUploadedFile("r.csv", b"name,mail\nAnne,anne@example.be\n"),
            "zip_file": SimpleUploadedFile("c.zip", _zip(pdf)),
        },
    )

    assert response.status_code == 422
    assert "These columns are missing" in response.content.decode()
    assert not BulkBatch.objects.exists()


def test_a_file_that_is_not_a_zip_is_refused(office):
    response = office.post(
        "/sender/bulk/",
        {
            "csv_file": SimpleUploadedFile("r.csv", CSV.encode()),
            "zip_file": SimpleUploadedFile("c.zip", b"not a zip"),
        },
    )
    assert response.status_code == 422
    assert not BulkBatch.objects.exists()
