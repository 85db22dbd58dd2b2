"""A web node whose Redis cannot be reached (PostgreSQL + Redis run only):
a real ``runserver`` process configured with the RQ queue and the Redis
cache on a closed port of loopback. The sender's form and ``POST
/api/contracts`` succeed, ``/health/ready`` is red naming Redis and the
queue; once a redis-server listens on that port, a ``paraph worker`` and
the sweeper (``paraph work-sweep``, as its schedule runs it) send each
invitation exactly once, and the node is ready again (ADR 22)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest

from paraph.core.tests.sites import site_env, wait_until
from paraph.core.tests.test_crash_recovery import (
    SlowSmtpHandler,
    _run,
    _server,
    _serving,
    _state,
    _stop,
    _worker,
    smtp,  # noqa: F401
)
from paraph.notifications.tests.conftest import free_port

pytestmark = pytest.mark.redis

LEASE_SECONDS = 3


@pytest.fixture
def redis_port() -> Iterator[int]:
    """A port nothing listens on yet; the test starts a redis-server there
    with :func:`_redis_server` (and it is stopped afterwards)."""
    yield free_port()


def _redis_server(port: int, cwd: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing (scripts/ensure-system.sh services)"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
    )
    import redis

    def answers() -> bool:
        try:
            return bool(redis.Redis(port=port, socket_timeout=1).ping())
        except redis.ConnectionError:
            return False

    wait_until("the redis-server", answers, timeout=10)
    return process


def _ready(base: str) -> httpx.Response:
    return httpx.get(f"{base}/health/ready", timeout=30)


def test_a_web_node_whose_redis_is_unreachable_takes_contracts_and_their_mail_leaves_later(
    tmp_path: Path,
    smtp: SlowSmtpHandler,  # noqa: F811
    redis_port: int,
) -> None:
    from paraph.contracts.tests.fixtures import contract_fields, contract_json
    from paraph.signing.tests.pdfs import contract_pdf

    env = site_env(
        tmp_path,
        PARAPH_TASK_BACKEND="rq",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        PARAPH_CACHE_PREFIX=f"outage-{uuid.uuid4().hex[:8]}",
        PARAPH_WORK_LEASE_SECONDS=str(LEASE_SECONDS),
        PARAPH_WORKER_SEEN_SECONDS="30",
        PARAPH_WORKER_INTERACTIVE_PROCESSES="0",
        PARAPH_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),  # type: ignore[attr-defined]
    )
    env.pop("PARAPH_BASE_URL", None)
    _run(env, "-m", "paraph", "migrate", "-v0")
    token, session = _run(env, "-m", "paraph.core.tests.crashkit", "office").split()
    cookie, _sep, session_id = session.partition("=")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    web = _server(env, port, log)
    processes: list[subprocess.Popen[bytes]] = [web]
    try:
        _serving(port, web, log)

        # Red, naming what is missing: a load balancer takes the node out.
        down = _ready(base)
        assert down.status_code == 503, down.text
        assert set(down.json()["failed"]) >= {"redis", "queue"}

        pdf = contract_pdf(pages=1, title="Contrat")
        api = httpx.post(
            f"{base}/api/contracts",
            json=contract_json(pdf, recipient={"email": "api@example.be"}),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "outage-1"},
            timeout=60,
        )
        assert api.status_code == 201, api.text[-3000:] + log.read_text()[-3000:]

        with httpx.Client(base_url=base, cookies={cookie: session_id}, timeout=60) as office:
            form = office.get("/sender/contracts/new/")
            assert form.status_code == 200, log.read_text()[-3000:]
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            assert csrf, form.text[-2000:]
            fields = contract_fields()
            sent = office.post(
                "/sender/contracts/new/",
                data={
                    "csrfmiddlewaretoken": csrf.group(1),
                    "title": "Contrat intérimaire",
                    "first_name": "Form",
                    "last_name": "Martin",
                    "email": "form@example.be",
                    "phone": "0470 12 34 57",
                    "national_number": "",
                    "language": "fr",
                    "external_reference": "W-1",
                    "start_of_work": fields["start_of_work"][:16],
                    "signing_deadline": "",
                    "signature_page": "",
                },
                files={"pdf": ("c.pdf", pdf, "application/pdf")},
                headers={"Referer": f"{base}/sender/contracts/new/"},
            )
            assert sent.status_code == 302, sent.text[-3000:] + log.read_text()[-3000:]
            assert "/sender/contracts/" in sent.headers["Location"]
            shown = office.get(sent.headers["Location"])
            assert shown.status_code == 200 and "Nothing was changed" not in shown.text

        state = _state(env)
        assert sorted(state["contracts"]) == ["api@example.be", "form@example.be"]
        assert state["messages"] == {"queued": 2}  # in the database, waiting
        assert smtp.received == []

        # Redis comes back on the same port; a worker starts; the sweeper runs.
        back = time.monotonic()
        processes.append(_redis_server(redis_port, tmp_path))
        processes.append(_worker(env, tmp_path / "worker.log"))

        def delivered() -> bool:
            _run(env, "-m", "paraph", "work-sweep")
            return len(smtp.received) >= 2

        wait_until("both invitations at the SMTP server", delivered, timeout=120, every=1)
        seconds = time.monotonic() - back
        wait_until("the node ready again", lambda: _ready(base).status_code == 200, timeout=60)
        time.sleep(LEASE_SECONDS + 1)  # a second sweep after the lease sends nothing again
        _run(env, "-m", "paraph", "work-sweep")
    finally:
        for process in reversed(processes):
            command = cast(list[str], process.args)  # each was started with a list
            if command and "redis-server" in command[0]:
                process.kill()
                process.wait()
            else:
                _stop(process)

    state = _state(env)
    assert state["messages"] == {"sent": 2}
    assert sorted(to for _m, to in smtp.received) == ["api@example.be", "form@example.be"]
    print(f"redis back: both invitations delivered once after {seconds:.1f} s")
