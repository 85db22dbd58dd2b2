"""Real local peers for the notification tests: an SMTP server (aiosmtpd)
and an HTTP SMS gateway (http.server), both on 127.0.0.1, and a task
backend that keeps tasks instead of running them (to follow retries)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- SMTP -----------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())


class _RecordingHandler:
    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list[ReceivedMail]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback that keeps what it receives."""
    handler = _RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler.received)
    finally:
        controller.stop()


# --- HTTP SMS gateway -------------------------------------------------------


@dataclass
class GatewayRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpGateway:
    url: str
    requests: list[GatewayRequest] = field(default_factory=list)
    status: int = 200
    response: bytes = b'{"id": "gw-1"}'
    delay: float = 0.0


@pytest.fixture
def http_gateway() -> Iterator[HttpGateway]:
    """A real HTTP server on loopback playing the SMS provider; set
    ``status``, ``response`` or ``delay`` to change how it answers."""
    state = HttpGateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.requests.append(
                GatewayRequest("POST", self.path, dict(self.headers), self.rfile.read(length))
            )
            if state.delay:
                time.sleep(state.delay)
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(state.response)))
                self.end_headers()
                self.wfile.write(state.response)
            except OSError:
                pass  # the client gave up waiting (time-out test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms?key=secret-key"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- Tasks kept, not run ----------------------------------------------------


@pytest.fixture
def kept_tasks(settings: Any) -> Any:
    """A task backend that keeps enqueued tasks (with their ``run_after``)
    instead of running them: ``kept_tasks.results[-1]``."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": []}
    }
    from django_tasks import task_backends

    return task_backends["default"]


@pytest.fixture
def sandbox_sms(settings: Any) -> None:
    settings.SMS_GATEWAY = "sandbox"


# --- Reading pages --------------------------------------------------------------

_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: list[Element]
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    def inside(self, **attrs: str) -> bool:
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return any(all(a.attrs.get(k) == v for k, v in wanted.items()) for a in self.ancestors)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.elements: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, list(self.stack))
        self.elements.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.parts.append(data)


def find(html: str | bytes, tag: str | None = None, **attrs: str) -> list[Element]:
    """Elements of a page, by tag and attributes (``data_testid`` for
    ``data-testid``), with their text as a reader would see it."""
    collector = _Collector()
    collector.feed(html.decode() if isinstance(html, bytes) else html)
    wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
    return [
        e
        for e in collector.elements
        if (tag is None or e.tag == tag) and all(e.attrs.get(k) == v for k, v in wanted.items())
    ]
