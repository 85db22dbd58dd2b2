"""Idempotency-Key on creation: a retried request never makes a second
contract; the same key with another body is refused; keys last 24 hours."""

from __future__ import annotations

import datetime as dt

import pytest

from paraph.api.models import IdempotencyKey
from paraph.contracts.models import Contract
from paraph.contracts.tests.fixtures import contract_json

pytestmark = pytest.mark.django_db


def _create(api, body, key="order-42"):
    return api.post(
        "/api/contracts", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_the_same_key_and_body_give_the_first_answer_again(api, pdf, clock):
    first = _create(api, contract_json(pdf))
    second = _create(api, contract_json(pdf))

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Contract.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422(api, pdf, clock):
    _create(api, contract_json(pdf))

    other = _create(api, contract_json(pdf, title="Another contract"))

    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert other.json()["type"].endswith("#idempotency_key_reused")
    assert Contract.objects.count() == 1


def test_keys_are_per_sender(api, pdf, clock, client, api_key_factory, other_sender):
    _create(api, contract_json(pdf))
    _key, token = api_key_factory(owner=other_sender)

    theirs = client.post(
        "/api/contracts",
        contract_json(pdf),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-42",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert theirs.status_code == 201
    assert Contract.objects.count() == 2


def test_a_refusal_is_remembered_too(api, pdf, clock):
    bad = contract_json(pdf, recipient={"phone": "12"})
    first = _create(api, bad)
    second = _create(api, bad)

    assert first.status_code == second.status_code == 422
    assert second.json() == first.json()


def test_a_key_is_forgotten_after_24_hours(api, pdf, clock):
    _create(api, contract_json(pdf))
    clock.shift(dt.timedelta(hours=24, seconds=1))

    later = _create(api, contract_json(pdf, start_of_work="2026-12-05T08:00:00"))

    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later
    assert Contract.objects.count() == 2


def test_a_request_still_in_progress_is_a_409(api, pdf, clock, sender):
    import hashlib

    IdempotencyKey.objects.create(
        sender=sender, key="order-42", request_hash=hashlib.sha256(b"x").hexdigest()
    )
    # The stored fingerprint differs: a reuse, not an in-progress request.
    assert _create(api, contract_json(pdf)).status_code == 422
    IdempotencyKey.objects.all().delete()
    first = _create(api, contract_json(pdf))
    row = IdempotencyKey.objects.get()
    IdempotencyKey.objects.filter(pk=row.pk).update(response_status=None)

    in_progress = _create(api, contract_json(pdf))

    assert first.status_code == 201
    assert in_progress.status_code == 409 and in_progress["Retry-After"] == "2"


def test_a_crash_releases_the_key(api, pdf, clock, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("paraph.api.routers.contracts.contract_create", boom)
    assert _create(api, contract_json(pdf)).status_code == 500
    monkeypatch.undo()

    assert _create(api, contract_json(pdf)).status_code == 201


def test_an_unusable_key_is_a_400(api, pdf, clock):
    assert _create(api, contract_json(pdf), key="x" * 201).status_code == 400
    assert not Contract.objects.exists()
