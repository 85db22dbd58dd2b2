"""The API describes itself: /api/openapi.json and the docs page at
/api/docs, served from Paraph itself under its Content-Security-Policy."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_document_describes_every_operation_and_body(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/contracts",
        "/api/contracts/{contract_id}",
        "/api/contracts/{contract_id}/revoke",
        "/api/contracts/{contract_id}/reoffer",
        "/api/contracts/{contract_id}/signed.pdf",
        "/api/contracts/{contract_id}/evidence",
        "/api/batches",
        "/api/batches/{batch_id}",
        "/api/webhooks",
    ):
        assert path in paths, path
    create = paths["/api/contracts"]["post"]["requestBody"]["content"]
    assert set(create) == {"application/json", "multipart/form-data"}
    components = schema["components"]["schemas"]
    # Every reference resolves.
    for ref in set(
        re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', response.content.decode())
    ):
        assert ref in components, ref
    assert "pdf_base64" in components["ContractJsonIn"]["properties"]
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_downloads_are_described_as_pdf_files_not_json(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    downloads = [path for path in paths if path.endswith(".pdf")]

    assert len(downloads) == 3, downloads
    for path in downloads:
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/pdf"}, (path, content)
        assert content["application/pdf"]["schema"] == {"type": "string", "format": "binary"}


def test_the_docs_page_loads_its_scripts_from_paraph_only(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn." not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    # No inline script may run under the CSP: only files, or JSON data blocks.
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_problems_page_explains_each_type(client):
    response = client.get("/api/problems")
    assert response.status_code == 200
    assert 'id="idempotency_key_reused"' in response.content.decode()


def test_the_operation_ids_stay_those_clients_were_generated_from(client):
    """Clients generated from the document name their methods after the
    operation ids: moving an operation to another module must not rename
    it (django-ninja derives the ids from the module by default)."""
    paths = client.get("/api/openapi.json").json()["paths"]
    ids = {operation["operationId"] for path in paths.values() for operation in path.values()}

    assert ids == {
        f"paraph_api_api_{name}"
        for name in (
            "contracts_create",
            "contracts_list",
            "contracts_get",
            "contracts_revoke",
            "contracts_reoffer",
            "contracts_signed_pdf",
            "contracts_document_pdf",
            "contracts_evidence",
            "contracts_evidence_pdf",
            "batches_create",
            "batches_get",
            "webhooks_list",
            "webhooks_create",
            "webhooks_disable",
            "webhooks_deliveries",
            "webhooks_replay",
        )
    }
