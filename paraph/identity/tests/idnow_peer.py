"""A local stand-in for IDnow's gateway (a real HTTP server on 127.0.0.1)
and IDnow-shaped results, shared by the IDnow tests. A test module
imports ``idnow_gateway_fixture`` to use the ``idnow_gateway`` fixture.

The gateway behaves like IDnow's: ``POST /api/v1/<company>/login`` with
the API key gives a JWT ``authToken``; ``POST
identifications/<txn>/start`` and ``GET identifications/<txn>`` need it in
``X-API-LOGIN-TOKEN`` (401 otherwise); errors come as
``{"errors": [{"cause": ...}]}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from paraph.identity.providers.idnow.mrz import mrz_build

COMPANY = "paraphtest"
API_KEY = "idnow-api-key-0123456789"
WEBHOOK_SECRET = "webhook-secret-0123456789abcdefghijklmnop"


def jwt(exp: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'exp': int(exp), 'sub': COMPANY})}.c2ln"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Gateway:
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    token_ttl: float = 3600.0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Knobs: answer the next call to a path ending like this with a status.
    fail: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0
    raw_response: bytes | None = None
    counter: int = 0

    def calls(self, suffix: str) -> list[Seen]:
        return [r for r in self.requests if r.path.endswith(suffix)]


class _Handler(BaseHTTPRequestHandler):
    """IDnow's gateway API: log-in, starting an identification, its result."""

    state: Gateway
    lock: threading.Lock

    def _answer(self, status: int, data: Any) -> None:
        state = self.state
        body = state.raw_response if state.raw_response is not None else json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting (time-out test)

    def _handle(self, method: str) -> None:
        state = self.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        with self.lock:
            state.requests.append(Seen(method, self.path, dict(self.headers), body))
        if state.delay:
            time.sleep(state.delay)
        for suffix, status in list(state.fail.items()):
            if self.path.endswith(suffix):
                del state.fail[suffix]
                return self._answer(status, {"errors": [{"cause": "INTERNAL_ERROR"}]})
        prefix = f"/api/v1/{COMPANY}/"
        if not self.path.startswith(prefix):
            return self._answer(404, {"errors": [{"cause": "COMPANY_NOT_FOUND"}]})
        return self._answer(*self._route(method, self.path[len(prefix) :], body))

    def _route(self, method: str, rest: str, body: Any) -> tuple[int, Any]:
        state = self.state
        if rest == "login" and method == "POST":
            if not isinstance(body, dict) or body.get("apiKey") != API_KEY:
                return 401, {"errors": [{"cause": "INVALID_API_KEY"}]}
            with self.lock:
                state.counter += 1
                token = jwt(time.time() + state.token_ttl) + str(state.counter)
                state.tokens.add(token)
            return 200, {"authToken": token}
        if self.headers.get("X-API-LOGIN-TOKEN") not in state.tokens:
            return 401, {"errors": [{"cause": "INVALID_LOGIN_TOKEN"}]}
        parts = rest.split("/")
        if parts[0] == "identifications" and len(parts) == 3 and parts[2] == "start":
            with self.lock:
                state.counter += 1
                state.started[parts[1]] = body
            return 200, {"id": f"TST-{state.counter:05d}"}
        if parts[0] == "identifications" and len(parts) == 2 and method == "GET":
            if parts[1] not in state.results:
                return 404, {"errors": [{"cause": "OBJECT_NOT_FOUND"}]}
            return 200, state.results[parts[1]]
        return 404, {"errors": [{"cause": "NOT_FOUND"}]}

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(name="idnow_gateway")
def idnow_gateway_fixture(settings: Any) -> Iterator[Gateway]:
    """IDnow's gateway on loopback, and Paraph's settings pointing at it."""
    state = Gateway()
    handler = type("Handler", (_Handler,), {"state": state, "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.IDNOW_GATEWAY_URL = state.url
    settings.IDNOW_COMPANY_ID = COMPANY
    settings.IDNOW_API_KEY = API_KEY
    settings.IDNOW_GO_URL = "https://go.test.idnow.invalid"
    settings.IDNOW_TIMEOUT = 5
    settings.IDNOW_WEBHOOK_SECRET = WEBHOOK_SECRET
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- IDnow-shaped results ------------------------------------------------------

TODAY = dt.date(2026, 11, 23)
PERSON = {
    "firstname": "Zofia Anna",
    "lastname": "Kowalska",
    "birthday": "1990-03-14",
    "nationality": "PL",
}
DOCUMENT = {
    "type": "PASSPORT",
    "country": "PL",
    "number": "EA1234567",
    "validuntil": "2032-05-02",
}


def polish_mrz(**overrides: Any) -> str:
    values: dict[str, Any] = {
        "format": "TD3",
        "document_code": "P",
        "issuing_state": "POL",
        "surname": PERSON["lastname"],
        "given_names": PERSON["firstname"],
        "document_number": DOCUMENT["number"],
        "nationality": "POL",
        "birth_date": dt.date.fromisoformat(PERSON["birthday"]),
        "sex": "F",
        "expiry_date": dt.date.fromisoformat(DOCUMENT["validuntil"]),
    }
    values.update(overrides)
    return "\n".join(mrz_build(**values))


def idnow_result(
    txn: str,
    result: str = "SUCCESS",
    *,
    company: str = COMPANY,
    ident_id: str = "TST-00001",
    person: dict[str, str] | None = None,
    document: dict[str, str] | None = None,
    mrz: str | None = "default",
    email: str = "zofia.kowalska@example.pl",
) -> dict[str, Any]:
    """IDnow's result JSON for ``txn``: by default a Polish passport
    holder with a valid passport and its MRZ."""
    person = {**PERSON, **(person or {})}
    document = {**DOCUMENT, **(document or {})}
    data: dict[str, Any] = {
        "identificationprocess": {
            "result": result,
            "companyid": company,
            "id": ident_id,
            "transactionnumber": txn,
            "identificationtime": "2026-11-23T10:15:00+01:00",
            "type": "WEB",
            "reason": "",
        },
        "userdata": {key: {"value": value, "status": "MATCH"} for key, value in person.items()},
        "identificationdocument": {key: {"value": value} for key, value in document.items()},
        "contactdata": {"email": {"value": email}},
        "attachments": {"pdf": "TST-00001.pdf", "xml": "TST-00001.xml"},
    }
    if mrz == "default":
        mrz = polish_mrz()
    if mrz is not None:
        data["identificationdocument"]["mrz"] = {"value": mrz}
    return data
