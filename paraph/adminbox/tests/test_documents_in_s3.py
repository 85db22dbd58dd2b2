"""Documents in an S3-compatible object store (SeaweedFS on loopback, the
``s3_storage`` fixture): a contract signed with its documents in S3
downloads right from every door (the person's adminbox, the sender's back
office, the API); an object altered or deleted behind Paraph's back is
refused with a clear error, logged, counted and audited, never served; a
large download streams from a temporary file, not from memory; page images
are kept in the bucket."""

from __future__ import annotations

import hashlib
import tempfile

import pytest
from django.test import Client

from paraph.audit.models import AuditEvent
from paraph.contracts.models import Contract
from paraph.contracts.services import contract_sign_record
from paraph.contracts.tests.fixtures import signed_version
from paraph.core.storage import DOCUMENTS_REFUSED, SPOOL_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def anne(person_factory, activated):
    return activated(person_factory(email="anne@example.be", phone="+32470123456"))


@pytest.fixture
def signed(s3_storage, make_contract, anne, clock):
    contract = make_contract(recipient={"email": "anne@example.be"}, title="Work contract")
    with contract.document_pdf.open("rb") as handle:
        document = handle.read()
    return contract_sign_record(
        contract=contract, person=anne, signed_pdf=signed_version(document), method="eid"
    )


@pytest.fixture
def office(staff, clock):
    staff.language = "en"
    staff.save(update_fields=["language"])
    client = Client()
    client.cookies["paraph_language"] = "en"
    client.force_login(staff)
    return client


def _key(s3_storage, name: str) -> str:
    _client, _bucket, prefix = s3_storage
    return f"{prefix}/{name}"


def _object(s3_storage, name: str) -> bytes:
    client, bucket, _prefix = s3_storage
    return client.get_object(Bucket=bucket, Key=_key(s3_storage, name))["Body"].read()


def _body(response) -> bytes:
    assert response.streaming, "a download streams"
    return b"".join(response.streaming_content)


def _refused(what: str, reason: str) -> float:
    return DOCUMENTS_REFUSED.labels(what=what, reason=reason)._value.get()


def test_a_contract_signed_in_s3_downloads_right_from_every_door(
    s3_storage, signed, logged_in, anne, office, api
):
    # The files are objects in the bucket, not files on a disk.
    stored = _object(s3_storage, signed.signed_pdf.name)
    assert hashlib.sha256(stored).hexdigest() == signed.signed_sha256
    assert hashlib.sha256(_object(s3_storage, signed.original_pdf.name)).hexdigest() == (
        signed.original_sha256
    )

    person = _body(logged_in(anne).get(f"/adminbox/contract/{signed.public_id}/download/"))
    sender = _body(office.get(f"/sender/contracts/{signed.public_id}/signed.pdf"))
    through_api = _body(api.get(f"/api/contracts/{signed.public_id}/signed.pdf"))
    original = _body(office.get(f"/sender/contracts/{signed.public_id}/original.pdf"))

    assert person == sender == through_api == stored
    assert hashlib.sha256(original).hexdigest() == signed.original_sha256
    report = logged_in(anne).get(f"/adminbox/contract/{signed.public_id}/report/")
    assert report.status_code == 200
    assert "the copy Paraph keeps is unavailable" not in report.content.decode()


def test_a_signed_pdf_altered_in_s3_is_refused_everywhere(
    s3_storage, signed, logged_in, anne, office, api, caplog
):
    client, bucket, _prefix = s3_storage
    key = _key(s3_storage, signed.signed_pdf.name)
    altered = _object(s3_storage, signed.signed_pdf.name).replace(b"%%EOF", b"%%EOF\n% x", 1)
    client.put_object(Bucket=bucket, Key=key, Body=altered)
    before = _refused("signed", "altered")
    downloads_before = AuditEvent.objects.filter(name="contracts.contract.downloaded").count()

    page = logged_in(anne).get(f"/adminbox/contract/{signed.public_id}/download/")
    sender = office.get(f"/sender/contracts/{signed.public_id}/signed.pdf")
    through_api = api.get(f"/api/contracts/{signed.public_id}/signed.pdf")

    for response in (page, sender):
        assert response.status_code == 503
        assert not response.streaming and b"%PDF" not in response.content
        assert "the copy Paraph keeps is missing or is not the one recorded" in (
            response.content.decode()
        )
    assert through_api.status_code == 503
    assert through_api["Content-Type"] == "application/problem+json"
    problem = through_api.json()
    assert problem["type"].endswith("/api/problems#document_unavailable")
    assert "does not match the SHA-256" in problem["detail"]
    # Counted for /metrics, audited, logged; no download recorded.
    assert _refused("signed", "altered") == before + 3
    refused = AuditEvent.objects.filter(name="contracts.document.refused")
    assert refused.count() == 3
    assert {event.data["reason"] for event in refused} == {"altered"}
    assert AuditEvent.objects.filter(name="contracts.contract.downloaded").count() == (
        downloads_before
    )
    assert f"contract {signed.public_id}" in caplog.text and "altered" in caplog.text


def _scraped(settings, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    settings.METRICS_TOKEN = "t" * 40
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {'t' * 40}")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_a_document_deleted_from_s3_is_refused_as_missing(
    s3_storage, signed, logged_in, anne, office, api, settings
):
    client, bucket, _prefix = s3_storage
    client.delete_object(Bucket=bucket, Key=_key(s3_storage, signed.original_pdf.name))
    labels = {"what": "original", "reason": "missing"}
    before = _scraped(settings, "paraph_documents_refused_total", **labels)

    sender = office.get(f"/sender/contracts/{signed.public_id}/original.pdf")

    assert sender.status_code == 503
    assert b"%PDF" not in sender.content
    # What Prometheus reads at /metrics: an alert on any increase.
    assert _scraped(settings, "paraph_documents_refused_total", **labels) == before + 1
    event = AuditEvent.objects.get(name="contracts.document.refused")
    assert event.data == {
        "document": "original",
        "name": signed.original_pdf.name,
        "reason": "missing",
    }
    # The other documents are intact and still served.
    assert _body(api.get(f"/api/contracts/{signed.public_id}/signed.pdf")).startswith(b"%PDF")


def test_the_page_images_of_a_contract_in_s3_are_kept_in_the_bucket(
    s3_storage, signed, logged_in, anne
):
    client, bucket, prefix = s3_storage
    person = logged_in(anne)

    first = person.get(f"/adminbox/contract/{signed.public_id}/page/1.png")

    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    kept = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/cache/pages/")
    names = [entry["Key"] for entry in kept.get("Contents", [])]
    assert len(names) == 1 and signed.signed_sha256 in names[0]
    # Served from the bucket the second time, as the image it keeps.
    client.put_object(Bucket=bucket, Key=names[0], Body=b"\x89PNG kept")
    assert person.get(f"/adminbox/contract/{signed.public_id}/page/1.png").content == (
        b"\x89PNG kept"
    )


def test_a_large_signed_pdf_streams_from_a_temporary_file(
    s3_storage, signed, logged_in, anne, monkeypatch
):
    # 12 MB: a long scanned contract. It stands for the 50 MB the API allows;
    # what matters is that it goes through a file, not memory.
    large = b"%PDF-1.7\n" + b"0" * (12 * 1024 * 1024) + b"\n%%EOF\n"
    client, bucket, _prefix = s3_storage
    client.put_object(Bucket=bucket, Key=_key(s3_storage, signed.signed_pdf.name), Body=large)
    Contract.objects.filter(pk=signed.pk).update(signed_sha256=hashlib.sha256(large).hexdigest())

    copies = []

    class Spool(tempfile.SpooledTemporaryFile):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            copies.append(self)

    monkeypatch.setattr("paraph.core.storage.tempfile.SpooledTemporaryFile", Spool)

    response = logged_in(anne).get(f"/adminbox/contract/{signed.public_id}/download/")

    assert response.status_code == 200 and response.streaming
    assert int(response["Content-Length"]) == len(large)
    # The checked copy went to a temporary file past SPOOL_BYTES (not
    # memory), and is read a block at a time as the response goes out.
    assert len(large) > SPOOL_BYTES and copies and all(copy._rolled for copy in copies)  # type: ignore[attr-defined]
    body = iter(response.streaming_content)
    assert len(next(body)) < len(large)
    rest = b"".join(body)
    assert len(large) - len(rest) <= 64 * 1024
