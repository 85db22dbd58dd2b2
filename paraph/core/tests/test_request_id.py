"""Every request has an id: in the ``X-Request-ID`` header of its response,
on every log line written for it (JSON lines when asked), and on the lines
of the tasks it queued."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from paraph.core.logs import JsonFormatter, RequestIdFilter
from paraph.core.requestid import RequestIdMiddleware, request_id_current

HEX_ID = re.compile(r"[0-9a-f]{32}")


class Lines(logging.Handler):
    """Keeps the formatted lines, as the console handler would write them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def parsed(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_every_response_carries_a_fresh_id(client):
    first = client.get("/")["X-Request-ID"]
    second = client.get("/")["X-Request-ID"]
    assert HEX_ID.fullmatch(first)
    assert HEX_ID.fullmatch(second)
    assert first != second


@pytest.mark.django_db
def test_a_clients_id_is_ignored_unless_the_proxy_is_trusted(client, settings):
    settings.TRUST_REQUEST_ID = False
    response = client.get("/", HTTP_X_REQUEST_ID="chosen-by-the-client")
    assert response["X-Request-ID"] != "chosen-by-the-client"

    settings.TRUST_REQUEST_ID = True
    assert client.get("/", HTTP_X_REQUEST_ID="nginx-4f2a")["X-Request-ID"] == "nginx-4f2a"
    # Not an id (a log line forged with a line break): replaced.
    forged = client.get("/", HTTP_X_REQUEST_ID='a"\n{"level": "ERROR"}')["X-Request-ID"]
    assert HEX_ID.fullmatch(forged)


@pytest.mark.django_db
def test_log_lines_of_a_request_are_json_with_its_id(client, json_lines):
    response = client.get("/no/such/page/")  # Django logs "Not Found" at WARNING
    assert response.status_code == 404

    lines = [line for line in json_lines.parsed() if line["logger"] == "django.request"]
    assert lines, json_lines.lines
    line = lines[-1]
    assert line["level"] == "WARNING"
    assert "Not Found: /no/such/page/" in str(line["message"])
    assert line["request_id"] == response["X-Request-ID"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", str(line["time"]))
    assert line["status"] == 404


def test_a_line_outside_any_request_says_so(json_lines):
    logging.getLogger("paraph.test").warning("alone")
    assert json_lines.parsed()[-1]["request_id"] == "-"
    assert request_id_current() == ""


def test_an_exception_is_kept_in_its_line(json_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("paraph.test").exception("it failed")
    line = json_lines.parsed()[-1]
    assert line["message"] == "it failed"
    assert "ValueError: boom" in str(line["exception"])


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_under_the_requests_id(settings, json_lines):
    """The database queue and its worker, as in ``make run``: the e-mail's
    delivery, in the worker, logs under the id of the request that queued it."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from paraph.__main__ import main
    from paraph.core.tests.test_worker import signal_handlers_kept
    from paraph.notifications.services import email_send

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notifications"],
        }
    }

    def view(request):
        email_send(to="anne.martin@example.be", template="x", context={}, language="fr")
        return HttpResponse("queued")

    response = RequestIdMiddleware(view)(RequestFactory().get("/"))
    request_id = response["X-Request-ID"]
    assert any(
        line["request_id"] == request_id and "queued" in str(line["message"])
        for line in json_lines.parsed()
    )

    # The worker configures logging anew (the console): listen where its
    # task lines are written.
    worker_lines = Lines()
    tasks_logger = logging.getLogger("django_tasks")
    tasks_logger.addHandler(worker_lines)
    try:
        with signal_handlers_kept():
            main(["paraph", "worker", "--batch", "--no-startup-delay", "-v1"])
    finally:
        tasks_logger.removeHandler(worker_lines)

    task_lines = worker_lines.parsed()
    assert any("state=RUNNING" in str(line["message"]) for line in task_lines), task_lines
    assert {line["request_id"] for line in task_lines} == {request_id}


def test_the_setting_turns_the_console_into_json_lines(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paraph.test_settings",
        "PARAPH_LOG_FORMAT": "json",
    }
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('paraph.probe').warning('hello %s', 'there')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello there"
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "paraph.probe", "-")
