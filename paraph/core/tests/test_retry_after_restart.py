"""A retry after a worker restart (PostgreSQL + Redis run only): an e-mail's
first attempt is refused for now (451) by a real SMTP server, so its retry
is due a minute later, at T; the RQ worker is killed (SIGKILL) and another
starts at once, which runs the schedule itself (no cron, no manual step).
The retry reaches the SMTP server within a bounded delay after T (measured,
printed), once."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from paraph.core.tests.sites import site_env, wait_until
from paraph.core.tests.test_crash_recovery import _run, _state, _stop, _worker
from paraph.notifications.tests.conftest import free_port

pytestmark = pytest.mark.redis

# A retry due at T has left by T + BOUND (seconds) after a restart.
BOUND = 30


class RefusesFirstHandler:
    """Answers 451 ("try again later") to the first mail, 250 after; notes
    when each accepted mail arrived."""

    def __init__(self) -> None:
        self.refused = 0
        self.received: list[tuple[str, float]] = []  # (Message-ID, time.time())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.refused:
            self.refused += 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        self.received.append((str(message["Message-ID"]), time.time()))
        await asyncio.sleep(0)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[RefusesFirstHandler]:
    handler = RefusesFirstHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        controller.stop()


def test_a_retry_due_at_t_runs_soon_after_t_when_the_worker_was_restarted(
    tmp_path: Path, smtp: RefusesFirstHandler
) -> None:
    prefix = f"retry-{uuid.uuid4().hex[:8]}"
    env = site_env(
        tmp_path,
        PARAPH_TASK_BACKEND="rq",
        REDIS_URL=os.environ["REDIS_URL"],
        PARAPH_CACHE_PREFIX=prefix,
        PARAPH_WORKER_INTERACTIVE_PROCESSES="0",
        PARAPH_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),  # type: ignore[attr-defined]
    )
    _run(env, "-m", "paraph", "migrate", "-v0")
    log = tmp_path / "worker.log"
    first = _worker(env, log)
    second = None
    try:
        _run(env, "-m", "paraph.core.tests.crashkit", "emails", "1")
        wait_until("the first attempt refused", lambda: smtp.refused == 1, timeout=60)

        def retry_planned() -> bool:
            return _state(env)["messages"] == {"queued": 1}

        wait_until("the retry planned", retry_planned, timeout=30, every=0.5)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        second = _worker(env, log)
        due = _run(
            env,
            "-m",
            "paraph",
            "shell",
            "-c",
            "from paraph.notifications.models import OutboundMessage as M; "
            "print(M.objects.get().next_attempt_at.timestamp())",
        )
        t = float(due.strip().splitlines()[-1])
        wait_until(
            "the retry at the SMTP server",
            lambda: bool(smtp.received),
            timeout=max(0.0, t - time.time()) + 240,
            every=0.5,
        )
        late = smtp.received[0][1] - t
        time.sleep(3)  # nothing else arrives
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
        import redis

        client = redis.Redis.from_url(env["REDIS_URL"])
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)

    state = _state(env)
    assert state["messages"] == {"sent": 1} and state["attempts"] == [2]
    assert len(smtp.received) == 1
    print(
        f"retry due at T = {dt.datetime.fromtimestamp(t, dt.UTC):%H:%M:%S} UTC "
        f"after a worker restart: sent at T + {late:.1f} s"
    )
    assert late <= BOUND, f"the retry ran {late:.0f} s after it was due\n{log.read_text()[-3000:]}"
