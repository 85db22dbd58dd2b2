"""Real processes, real SIGKILLs (ADR 22): a ``paraph worker`` (the database
queue, on SQLite) is killed in the middle of a bulk send and in the middle
of sending e-mail to a real SMTP server on loopback; another worker starts,
``paraph work-sweep`` runs as its schedule would, and every contract exists
once and every message reached the SMTP server (twice at most for the one
e-mail whose 250 answer the killed worker never read, with the same
Message-ID)."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from paraph.core.tests.sites import site_env, wait_until
from paraph.notifications.tests.conftest import free_port

REPO = Path(__file__).resolve().parents[3]
LEASE_SECONDS = 3
# How many contracts or e-mails the kill tests queue (the figures
# were taken with PARAPH_CRASH_TOTAL=200).
TOTAL = int(os.environ.get("PARAPH_CRASH_TOTAL", "60"))


class SlowSmtpHandler:
    """Keeps each mail's Message-ID as soon as the data arrived, then waits
    before answering 250: a worker killed meanwhile never learns the mail
    was taken."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received: list[tuple[str, str]] = []  # (Message-ID, recipient)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email

        message = email.message_from_bytes(envelope.original_content or envelope.content)
        self.received.append((str(message["Message-ID"]), envelope.rcpt_tos[0]))
        await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[SlowSmtpHandler]:
    handler = SlowSmtpHandler(delay=0.1)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def site(
    request: pytest.FixtureRequest, tmp_path: Path, smtp: SlowSmtpHandler
) -> Iterator[dict[str, str]]:
    """The environment of a site of its own: SQLite in a fresh data folder,
    e-mail to the SMTP server above, and the database task queue, or RQ on
    the run's Redis under a prefix of its own (``site`` parametrized
    indirectly with "rq"; its keys are deleted afterwards)."""
    queue = getattr(request, "param", "database")
    extra = {}
    if queue == "rq":
        extra = {
            "PARAPH_TASK_BACKEND": "rq",
            "REDIS_URL": os.environ["REDIS_URL"],
            "PARAPH_CACHE_PREFIX": f"crash-{uuid.uuid4().hex[:8]}",
        }
    env = site_env(
        tmp_path,
        PARAPH_WORK_LEASE_SECONDS=str(LEASE_SECONDS),
        PARAPH_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),  # type: ignore[attr-defined]
        **extra,
    )
    _run(env, "-m", "paraph", "migrate", "-v0")
    yield env
    if queue == "rq":
        import redis

        client = redis.Redis.from_url(env["REDIS_URL"])
        for key in client.scan_iter(f"{env['PARAPH_CACHE_PREFIX']}:*"):
            client.delete(key)


QUEUES = ["database", pytest.param("rq", marks=pytest.mark.redis)]


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _state(env: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads(_run(env, "-m", "paraph.core.tests.crashkit", "state")))


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``paraph worker``: the database queue's, polling every 0.2 s, or RQ's
    (the site's ``PARAPH_TASK_BACKEND``), woken by Redis itself."""
    rq = env.get("PARAPH_TASK_BACKEND") == "rq"
    options = [] if rq else ["--no-startup-delay", "--interval", "0.2"]
    return subprocess.Popen(
        [sys.executable, "-m", "paraph", "worker", *options],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill(process)


def _wait(what: str, condition: Callable[[], bool], timeout: float) -> None:
    wait_until(what, condition, timeout, every=0.2)


def _recover(env: dict[str, str], log: Path, done: Callable[[dict[str, Any]], bool]) -> float:
    """Another worker, and the sweeper every two seconds (its schedule),
    until ``done(state)``; no other step. Returns how many seconds that took."""
    start = time.monotonic()
    worker = _worker(env, log)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            _run(env, "-m", "paraph", "work-sweep")
            if done(_state(env)):
                return time.monotonic() - start
            time.sleep(2)
        raise AssertionError(f"not recovered in 240 s: {_state(env)}\n{log.read_text()[-3000:]}")
    finally:
        _stop(worker)


def _processed(env: dict[str, str]) -> int:
    """The batch's progress, read straight from the SQLite file (quicker
    than a process of its own)."""
    path = Path(env["PARAPH_DATA_DIR"]) / "paraph.sqlite3"
    with sqlite3.connect(path, timeout=20) as connection:
        (processed,) = connection.execute("SELECT processed FROM contracts_bulkbatch").fetchone()
    return int(processed)


def _deliveries(smtp: SlowSmtpHandler) -> collections.Counter[str]:
    return collections.Counter(message_id for message_id, _to in smtp.received)


@pytest.mark.parametrize("site", QUEUES, indirect=True)
def test_a_worker_killed_in_the_middle_of_a_bulk_send(
    site: dict[str, str], smtp: SlowSmtpHandler, tmp_path: Path
) -> None:
    total = TOTAL
    _run(site, "-m", "paraph.core.tests.crashkit", "batch", str(total))
    log = tmp_path / "worker.log"
    worker = _worker(site, log)
    try:
        _wait("two fifths of the batch", lambda: _processed(site) >= total * 2 // 5, timeout=300)
        _kill(worker)
    finally:
        _stop(worker)
    killed_at = _state(site)["batches"][0]
    assert killed_at["status"] == "running" and killed_at["processed"] < total

    seconds = _recover(
        site,
        log,
        lambda s: s["batches"][0]["status"] == "done" and s["messages"] == {"sent": total},
    )

    state = _state(site)
    assert state["batches"][0] == {
        "status": "done",
        "total": total,
        "processed": total,
        "succeeded": total,
        "failed": 0,
    }
    assert sorted(state["contracts"]) == [f"r{i:03d}@example.be" for i in range(total)]
    deliveries = _deliveries(smtp)
    assert set(deliveries) == set(state["message_ids"])  # every invitation reached SMTP
    twice = [m for m, n in deliveries.items() if n > 1]
    assert len(twice) <= 1 and all(deliveries[m] == 2 for m in twice)
    assert state["items"] == {"created": total}  # none left claimed
    print(
        f"{site['PARAPH_TASK_BACKEND']} worker killed at {killed_at['processed']}/{total}: "
        f"done {seconds:.1f} s after the restart, {len(state['contracts'])} contracts, "
        f"e-mails received twice: {twice}"
    )


@pytest.mark.parametrize("site", QUEUES, indirect=True)
def test_a_worker_killed_in_the_middle_of_sending_email(
    site: dict[str, str], smtp: SlowSmtpHandler, tmp_path: Path
) -> None:
    total = TOTAL
    _run(site, "-m", "paraph.core.tests.crashkit", "emails", str(total))
    log = tmp_path / "worker.log"
    worker = _worker(site, log)
    try:
        _wait(
            "three tenths of the e-mails at the SMTP server",
            lambda: len(smtp.received) >= total * 3 // 10,
            timeout=180,
        )
        _kill(worker)
    finally:
        _stop(worker)
    at_kill = len(smtp.received)
    assert at_kill < total

    seconds = _recover(site, log, lambda s: s["messages"] == {"sent": total})

    state = _state(site)
    deliveries = _deliveries(smtp)
    assert set(deliveries) == set(state["message_ids"])  # every message, each by its Message-ID
    assert {to for _m, to in smtp.received} == {f"m{i:03d}@example.be" for i in range(total)}
    twice = [m for m, n in deliveries.items() if n > 1]
    assert len(twice) <= 1 and all(deliveries[m] == 2 for m in twice)
    print(
        f"{site['PARAPH_TASK_BACKEND']} worker killed after {at_kill} of {total} e-mails: "
        f"all sent {seconds:.1f} s after the restart; received twice: {twice}"
    )


# --- A web process killed while creations with Idempotency-Keys are in flight ---


def _server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "paraph", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _post(port: int, token: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/contracts",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, dict(json.loads(answer.read()))
    except urllib.error.HTTPError as answer:
        return answer.code, dict(json.loads(answer.read() or b"{}"))


def _serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    def answers() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contracts", timeout=5)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    _wait("the web process", answers, timeout=120)


def test_a_web_process_killed_while_creations_with_idempotency_keys_are_in_flight(
    site: dict[str, str], tmp_path: Path
) -> None:
    from paraph.contracts.tests.fixtures import contract_json
    from paraph.signing.tests.pdfs import contract_pdf

    site = {k: v for k, v in site.items() if k != "PARAPH_BASE_URL"}
    token = _run(site, "-m", "paraph.core.tests.crashkit", "apikey").strip()
    pdf = contract_pdf(pages=1, title="Contrat")
    total = 24
    bodies = {
        f"order-{i:02d}": contract_json(
            pdf, recipient={"email": f"w{i:02d}@example.be", "phone": f"0470{200000 + i}"}
        )
        for i in range(total)
    }
    port = free_port()
    log = tmp_path / "web.log"
    server = _server(site, port, log)
    first: dict[str, tuple[int, dict[str, Any]] | str] = {}
    try:
        _serving(port, server, log)

        def call(key: str) -> None:
            try:
                first[key] = _post(port, token, key, bodies[key])
            except OSError as exc:  # the process died under this request
                first[key] = type(exc).__name__

        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            for key in bodies:
                pool.submit(call, key)
            _wait(
                "a quarter of the contracts",
                lambda: (
                    sum(isinstance(a, tuple) and a[0] == 201 for a in list(first.values()))
                    >= total // 4
                ),
                timeout=120,
            )
            _kill(server)
    finally:
        _stop(server)
    answered = {k: a for k, a in first.items() if isinstance(a, tuple) and a[0] == 201}
    assert len(answered) < total  # some were in flight, or never sent
    # Made and committed, but the answer never left (or was never kept).
    made_unanswered = len(_state(site)["contracts"]) - len(answered)

    server = _server(site, port, log)
    try:
        _serving(port, server, log)
        retried: dict[str, tuple[int, dict[str, Any]]] = {}
        deadline = time.monotonic() + 60
        while len(retried) < total and time.monotonic() < deadline:
            for key in bodies:
                if key not in retried:
                    status, body = _post(port, token, key, bodies[key])
                    if status != 409:  # 409: the dead request's lease still runs
                        retried[key] = (status, body)
            time.sleep(1)
    finally:
        _stop(server)

    assert {k: s for k, (s, _b) in retried.items()} == dict.fromkeys(bodies, 201)
    for key, (_status, body) in answered.items():
        assert retried[key][1]["id"] == body["id"]  # the original answer
    state = _state(site)
    assert sorted(state["contracts"]) == [f"w{i:02d}@example.be" for i in range(total)]
    print(
        f"web process killed with {len(answered)}/{total} answered; "
        f"{made_unanswered} made but unanswered, answered with that contract on retry"
    )
