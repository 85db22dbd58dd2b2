"""Bulk sends through the API: one request, a batch made by a task, and its
progress polled at /api/batches/<id>."""

from __future__ import annotations

import uuid

import pytest

from paraph.contracts.tests.fixtures import contract_json

pytestmark = pytest.mark.django_db


def test_a_bulk_request_makes_a_batch_whose_progress_can_be_polled(api, pdf, clock, deliver):
    contracts = [contract_json(pdf, recipient={"email": f"p{n}@example.be"}) for n in range(3)]
    contracts.append(contract_json(pdf, recipient={"email": "broken"}))
    contracts.append({**contract_json(pdf), "pdf_base64": "%%%"})

    with deliver():
        response = api.post(
            "/api/batches", {"contracts": contracts}, content_type="application/json"
        )

    assert response.status_code == 202, response.content
    location = response["Location"]
    assert response.json()["total"] == 5
    batch = api.get(location).json()
    assert batch["status"] == "done"
    assert (batch["processed"], batch["succeeded"], batch["failed"]) == (5, 3, 2)
    items = batch["items"]
    assert all(i["contract_id"] for i in items[:3])
    assert items[3]["errors"][0]["field"] == "recipient.email"
    assert items[4]["errors"][0]["code"] == "missing"
    listed = api.get("/api/contracts").json()
    assert listed["count"] == 3


def test_a_batch_of_another_sender_is_404(api, other_sender, clock):
    from paraph.contracts.services import BulkEntry, batch_create

    theirs = batch_create(sender=other_sender, entries=[BulkEntry(data={}, pdf=None)], source="api")

    assert api.get(f"/api/batches/{theirs.public_id}").status_code == 404
    assert api.get(f"/api/batches/{uuid.uuid4()}").status_code == 404


def test_a_bulk_request_honours_its_idempotency_key(api, pdf, clock, deliver):
    body = {"contracts": [contract_json(pdf)]}
    with deliver():
        first = api.post(
            "/api/batches", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="b-1"
        )
        second = api.post(
            "/api/batches", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="b-1"
        )

    assert first.json()["id"] == second.json()["id"]
    assert api.get("/api/contracts").json()["count"] == 1


def test_an_empty_bulk_request_is_refused(api):
    response = api.post("/api/batches", {"contracts": []}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contracts"
