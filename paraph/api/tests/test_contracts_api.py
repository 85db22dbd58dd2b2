"""The contracts API: create (JSON or multipart), list with filters and a
constant number of queries, get with its history, revoke, re-offer,
download the signed PDF and the evidence; every error a problem document."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paraph.contracts.models import Contract
from paraph.contracts.services import contract_open, contract_sign_record
from paraph.contracts.tests.badpdfs import KINDS, bad_pdf
from paraph.contracts.tests.fixtures import contract_fields, contract_json, signed_version
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _post(api, path, data):
    return api.post(path, data, content_type="application/json")


def test_a_contract_is_created_and_sent_from_json(api, pdf, clock):
    response = _post(api, "/api/contracts", contract_json(pdf, signature={"page": 1}))

    assert response.status_code == 201, response.content
    body = response.json()
    contract = Contract.objects.get(public_id=body["id"])
    assert response["Location"] == f"/api/contracts/{contract.public_id}"
    assert body["status"] == "sent"
    assert body["recipient"] == {
        "first_name": "Anne",
        "last_name": "Martin",
        "email": "anne.martin@example.be",
    }
    assert body["signing_deadline"] == body["start_of_work"] == "2026-12-03T08:00:00Z"
    assert body["documents"]["sealed"] is True
    assert contract.api_key is not None and contract.created_by is None
    created = contract.events.first()
    assert created is not None and created.actor_label.startswith("API key paraph_")


def test_a_contract_is_created_from_multipart(api, pdf, clock):
    response = api.post(
        "/api/contracts",
        {"data": json.dumps(contract_fields()), "pdf": _upload(pdf)},
    )

    assert response.status_code == 201, response.content
    contract = Contract.objects.get(public_id=response.json()["id"])
    with contract.original_pdf.open("rb") as handle:
        assert handle.read() == pdf


def _upload(data: bytes, name: str = "contract.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_field_errors_come_all_at_once_in_a_problem_document(api, pdf, clock):
    data = contract_json(pdf, recipient={"email": "nope", "phone": ""}, start_of_work="soon")
    del data["title"]

    response = _post(api, "/api/contracts", data)

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"].endswith("/api/problems#validation")
    errors = {e["field"]: e["code"] for e in body["errors"]}
    assert errors == {
        "title": "missing",
        "start_of_work": "datetime_from_date_parsing",
        # not in the model's errors (it stopped at the date), found all the same
        "recipient.email": "invalid",
        "recipient.phone": "required",
    }
    assert not Contract.objects.exists()


def test_an_empty_title_does_not_hide_the_other_errors(api, pdf, clock):
    data = contract_json(pdf, title="", recipient={"first_name": "", "email": "nope", "phone": ""})

    response = _post(api, "/api/contracts", data)

    assert response.status_code == 422
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors == {
        "title": "required",
        "recipient.first_name": "required",
        "recipient.email": "invalid",
        "recipient.phone": "required",
    }


@pytest.mark.parametrize(
    ("accept_language", "language", "required", "email"),
    [
        ("", "nl", "Dit veld is verplicht.", "Vul een e-mailadres in zoals naam@example.be."),
        (
            "de",
            "de",
            "Dieses Feld ist erforderlich.",
            "Geben Sie eine E-Mail-Adresse wie name@example.be ein.",
        ),
    ],
)
def test_messages_are_in_one_language_named_by_content_language(
    api, pdf, sender, clock, accept_language, language, required, email
):
    sender.language = "nl"
    sender.save(update_fields=["language"])
    data = contract_json(pdf, recipient={"email": "nope"})
    del data["title"]
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}

    response = api.post("/api/contracts", data, content_type="application/json", **headers)

    assert response.status_code == 422
    assert response["Content-Language"] == language
    assert response.json()["errors"] == [
        {"field": "title", "code": "missing", "message": required},
        {"field": "recipient.email", "code": "invalid", "message": email},
    ]


def test_domain_errors_name_their_field(api, pdf, clock):
    response = _post(
        api,
        "/api/contracts",
        contract_json(pdf, recipient={"email": "nope@", "national_number": "85073003329"}),
    )

    assert response.status_code == 422
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors == {"recipient.email": "invalid", "recipient.national_number": "checksum"}


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_pdf_is_a_clear_422_and_nothing_is_written(api, tmp_path, settings, clock, kind):
    settings.SIGNING_MAX_PDF_BYTES = 64 * 1024
    data = bad_pdf(kind, tmp_path, settings.SIGNING_MAX_PDF_BYTES)

    if kind == "empty":
        response = api.post(
            "/api/contracts", {"data": json.dumps(contract_fields()), "pdf": _upload(data)}
        )
    else:
        response = _post(api, "/api/contracts", contract_json(data))

    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("pdf", kind)
    assert error["message"]
    assert not Contract.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(api, pdf, settings, clock):
    settings.SIGNING_MAX_PDF_BYTES = 1024

    response = api.post(
        "/api/contracts",
        {"data": json.dumps(contract_fields()), "pdf": _upload(pdf + bytes(4096))},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "too_large"


def test_invalid_base64_and_unknown_media_types_are_problems(api, clock):
    bad = {**contract_fields(), "pdf_base64": "***"}
    assert _post(api, "/api/contracts", bad).json()["errors"][0]["code"] == "base64"
    response = api.post("/api/contracts", "title=x", content_type="text/plain")
    assert response.status_code == 415 and response["Content-Type"] == PROBLEM


def test_the_list_filters_and_pages_with_a_constant_number_of_queries(
    api, make_contract, clock, monkeypatch
):
    # The database rate limiter prunes expired windows on one hit in 200, at
    # random: one query more, which is not what this test counts.
    monkeypatch.setattr("paraph.core.ratelimit.PRUNE_ONE_IN", 10**12)
    for n in range(3):
        make_contract(recipient={"email": f"p{n}@example.be"}, external_reference=f"R{n}")

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200
        return len(queries), response.json()

    api.get("/api/contracts")  # the key's first use writes its last use and rate window
    few, body = count("/api/contracts?page_size=2")
    for n in range(3, 12):
        make_contract(recipient={"email": f"p{n}@example.be"}, external_reference=f"R{n}")
    many, body_many = count("/api/contracts?page_size=10")

    assert few == many
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"].endswith("page=2")
    assert body_many["count"] == 12 and len(body_many["results"]) == 10
    assert api.get("/api/contracts?external_reference=R4").json()["count"] == 1
    assert api.get("/api/contracts?recipient_email=P5@EXAMPLE.BE").json()["count"] == 1
    assert api.get("/api/contracts?status=signed").json()["count"] == 0
    assert api.get("/api/contracts?status=sent&status=signed").json()["count"] == 12
    assert api.get("/api/contracts?created_after=2026-12-02T00:00:00Z").json()["count"] == 0
    assert api.get("/api/contracts?status=bogus").status_code == 422
    assert api.get("/api/contracts?page=99").json()["results"] == []


def test_one_contract_with_its_history(api, make_contract, clock):
    contract = make_contract()
    clock.shift(dt.timedelta(hours=1))
    contract_open(contract=contract, person=contract.recipient)

    body = api.get(f"/api/contracts/{contract.public_id}").json()

    assert body["status"] == "opened"
    assert [h["event"] for h in body["history"]] == ["created", "sent", "opened"]
    assert body["history"][2]["at"] == "2026-12-01T09:00:00Z"
    assert body["links"]["signed_pdf"] is None


def test_revoke_until_signed(api, make_contract, clock):
    contract = make_contract()

    response = _post(api, f"/api/contracts/{contract.public_id}/revoke", {"reason": "cancelled"})
    again = _post(api, f"/api/contracts/{contract.public_id}/revoke", {})

    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM
    assert again.json()["errors"][0]["code"] == "final"
    assert contract.events.get(name="revoked").data["reason"] == "cancelled"


def _sign(contract):
    with contract.document_pdf.open("rb") as handle:
        document = handle.read()
    return contract_sign_record(
        contract=contract,
        person=contract.recipient,
        signed_pdf=signed_version(document),
        method="eid",
    )


def test_a_signed_contract_cannot_be_revoked_and_its_pdf_can_be_downloaded(
    api, make_contract, clock
):
    contract = make_contract()
    not_yet = api.get(f"/api/contracts/{contract.public_id}/signed.pdf")
    _sign(contract)

    refused = _post(api, f"/api/contracts/{contract.public_id}/revoke", {})
    download = api.get(f"/api/contracts/{contract.public_id}/signed.pdf")

    assert not_yet.status_code == 409 and not_yet.json()["title"] == "The contract is not signed"
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "already_signed"
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    contract.refresh_from_db()
    with contract.signed_pdf.open("rb") as handle:
        assert b"".join(download.streaming_content) == handle.read()


def test_reoffer_makes_a_new_version_and_the_old_one_unsignable(api, make_contract, clock):
    contract = make_contract()
    new_pdf = contract_pdf(pages=1, title="Avenant")

    response = _post(
        api,
        f"/api/contracts/{contract.public_id}/reoffer",
        {"pdf_base64": base64.b64encode(new_pdf).decode(), "title": "Contrat (corrigé)"},
    )

    assert response.status_code == 201, response.content
    new = response.json()
    assert new["version"] == 2 and new["supersedes"] == str(contract.public_id)
    assert new["title"] == "Contrat (corrigé)"
    old = api.get(f"/api/contracts/{contract.public_id}").json()
    assert old["status"] == "superseded" and old["superseded_by"] == new["id"]
    again = _post(
        api,
        f"/api/contracts/{contract.public_id}/reoffer",
        {"pdf_base64": base64.b64encode(new_pdf).decode()},
    )
    assert again.status_code == 409


def test_a_national_number_with_a_superscript_digit_is_a_field_error(api, pdf, clock):
    data = contract_json(pdf, recipient={"national_number": "85\u00b273003328"})

    response = _post(api, "/api/contracts", data)

    assert response.status_code == 422, response.content
    fields = [e["field"] for e in response.json()["errors"]]
    assert any("national_number" in f for f in fields), fields
    assert not Contract.objects.exists()


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_a_multipart_body_without_boundary_is_a_problem_not_a_crash(
    api, make_contract, content_type, clock
):
    contract = make_contract()
    body = b'--x\r\nContent-Disposition: form-data; name="data"\r\n\r\n{}\r\n--x--\r\n'

    for path in ("/api/contracts", f"/api/contracts/{contract.public_id}/reoffer"):
        response = api.post(path, body, content_type=content_type)

        assert response.status_code == 400, (path, response.content)
        assert response["Content-Type"] == PROBLEM
        assert "needs a boundary" in response.json()["detail"]
    assert Contract.objects.count() == 1, "nothing was created"


def test_the_evidence_is_json_with_hashes_and_events(api, make_contract, clock):
    contract = make_contract()
    _sign(contract)

    evidence = api.get(f"/api/contracts/{contract.public_id}/evidence").json()

    assert evidence["documents"]["original"]["sha256"] == contract.original_sha256
    assert [e["event"] for e in evidence["events"]] == ["created", "sent", "opened", "signed"]
    assert evidence["events"][1]["email_delivery"]["status"] in ("queued", "sent")
    assert evidence["audit_chain"][0]["hash"]


def test_an_unexpected_error_is_a_500_problem_without_internals(api, monkeypatch, clock):
    def boom(**kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr("paraph.api.routers.contracts.contract_list_for_sender", boom)

    response = api.get("/api/contracts")

    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    text = response.content.decode()
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text


def test_unknown_addresses_and_methods_are_problems(api):
    missing = api.get("/api/nothing/here")
    wrong_method = api.delete("/api/contracts")

    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    assert wrong_method.status_code == 405 and wrong_method["Content-Type"] == PROBLEM
    assert "GET" in wrong_method["Allow"]


def test_a_json_body_larger_than_the_api_accepts_is_413(api, settings):
    settings.API_MAX_REQUEST_BYTES = 100
    response = _post(api, "/api/contracts", {"pdf_base64": "A" * 200})
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM


def test_a_json_body_larger_than_the_sites_form_limit_is_read(api, settings, clock):
    # The site keeps DATA_UPLOAD_MAX_MEMORY_SIZE small for its forms; a PDF in
    # base64 is larger than that and still fine for the API.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    pdf = contract_pdf(pages=2, extra_bytes=40_000)

    response = _post(api, "/api/contracts", contract_json(pdf))

    assert response.status_code == 201, response.content[:300]
