"""Who may call the API: a valid key of the sender, with the scope the
operation needs, at most so many times a minute; another sender's
contract is a 404, exactly like one that does not exist."""

from __future__ import annotations

import uuid

import pytest

from paraph.contracts.tests.fixtures import contract_json

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body)
    assert "Traceback" not in response.content.decode()
    return body


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer paraph_nope.nope", "Basic abc"])
def test_without_a_valid_key_the_answer_is_401(client, header):
    if header:
        client.defaults["HTTP_AUTHORIZATION"] = header

    response = client.get("/api/contracts")

    body = _problem(response, 401)
    assert body["instance"] == "/api/contracts"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused_at_once(client, api_key_factory):
    from paraph.senders.services import api_key_revoke

    key, token = api_key_factory()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    assert client.get("/api/contracts").status_code == 200

    api_key_revoke(key=key, actor=None)

    _problem(client.get("/api/contracts"), 401)


def test_a_key_without_the_scope_gets_403(client, api_key_factory, pdf, clock):
    _key, token = api_key_factory(scopes=("contracts:read",))
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    response = client.post("/api/contracts", contract_json(pdf), content_type="application/json")

    body = _problem(response, 403)
    assert "contracts:write" in body["detail"]
    _problem(client.get("/api/webhooks"), 403)


def test_another_senders_contract_is_404_like_a_missing_one(
    client, api_key_factory, other_sender, make_contract, clock
):
    theirs = make_contract(sender=other_sender)
    _key, token = api_key_factory(scopes=("contracts:read", "contracts:write"))
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    for path in ("", "/signed.pdf", "/document.pdf", "/evidence"):
        theirs_answer = client.get(f"/api/contracts/{theirs.public_id}{path}")
        missing = client.get(f"/api/contracts/{uuid.uuid4()}{path}")
        assert _problem(theirs_answer, 404)["detail"] == _problem(missing, 404)["detail"]
    _problem(
        client.post(
            f"/api/contracts/{theirs.public_id}/revoke", {}, content_type="application/json"
        ),
        404,
    )
    _problem(client.get("/api/contracts/not-a-uuid"), 404)
    theirs.refresh_from_db()
    assert theirs.status == "sent"
    listed = client.get("/api/contracts").json()
    assert listed["count"] == 0


def test_each_key_is_rate_limited(client, api_key_factory, settings, clock):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    _key, token = api_key_factory()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    statuses = [client.get("/api/contracts").status_code for _ in range(3)]
    refused = client.get("/api/contracts")

    assert statuses == [200, 200, 200]
    _problem(refused, 429)
    assert int(refused["Retry-After"]) == 60
    clock.shift(60)
    assert client.get("/api/contracts").status_code == 200


def test_guessing_keys_from_one_address_is_slowed_down(client):
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer paraph_aaaaaaaa.guess"
    statuses = [client.get("/api/contracts").status_code for _ in range(31)]

    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429
