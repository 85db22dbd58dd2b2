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
