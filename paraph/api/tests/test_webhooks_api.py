"""Managing webhooks through the API (scope webhooks:manage)."""

from __future__ import annotations

import pytest

from paraph.senders.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_add_list_and_disable_an_endpoint(api, other_sender):
    created = api.post(
        "/api/webhooks",
        {"url": "https://hr.example.be/paraph", "events": ["contract.signed"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    endpoint_id = created.json()["id"]
    WebhookEndpoint.objects.create(sender=other_sender, url="https://other.example/x", events=[])

    listed = api.get("/api/webhooks").json()
    disabled = api.delete(f"/api/webhooks/{endpoint_id}")

    assert [e["id"] for e in listed] == [endpoint_id]
    assert disabled.json()["active"] is False
    assert api.get(f"/api/webhooks/{endpoint_id}/deliveries").json() == []


def test_an_unknown_event_is_a_field_error(api):
    response = api.post(
        "/api/webhooks",
        {"url": "https://hr.example.be/paraph", "events": ["contract.eaten"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "events"


def test_another_senders_endpoint_and_delivery_are_not_found(api, other_sender):
    from paraph.senders.models import WebhookDelivery

    theirs = WebhookEndpoint.objects.create(
        sender=other_sender, url="https://other.example/x", events=["contract.signed"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=theirs, event="contract.signed", event_id="evt-1", body="{}"
    )

    answers = [
        api.delete(f"/api/webhooks/{theirs.public_id}"),
        api.get(f"/api/webhooks/{theirs.public_id}/deliveries"),
        api.post(f"/api/webhooks/deliveries/{delivery.public_id}/replay"),
        api.get("/api/webhooks/not-an-id/deliveries"),
        api.post("/api/webhooks/deliveries/not-an-id/replay"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert all(a["Content-Type"] == "application/problem+json" for a in answers)
    theirs.refresh_from_db()
    assert theirs.is_active is True
    assert WebhookDelivery.objects.count() == 1
