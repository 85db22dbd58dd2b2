"""``paraph worker`` starts one worker of every queue and one of the
interactive queue alone (ADR 25); the latter never outlives the former."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from paraph.__main__ import _queues_option, worker_argv
from paraph.core.tests.sites import site_env, wait_until

REPO = Path(__file__).resolve().parents[3]
QUEUES = ["interactive", "notifications", "webhooks", "default"]


def test_the_database_worker_takes_every_queue_or_the_ones_named(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}

    assert worker_argv([]) == ["db_worker", "--queue-name", "*"]
    assert worker_argv(["-v0"], ["interactive"]) == [
        "db_worker",
        "--queue-name",
        "interactive",
        "-v0",
    ]


def test_the_rq_worker_takes_the_interactive_queue_first(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": QUEUES}}

    assert worker_argv([])[-4:] == QUEUES
    assert worker_argv([], ["interactive"])[-1:] == ["interactive"]


def test_the_queues_option_is_taken_out_of_what_the_worker_gets():
    assert _queues_option(["--queues", "interactive", "-v0"]) == (["interactive"], ["-v0"])
    assert _queues_option(["--queues=a,b"]) == (["a", "b"], [])
    assert _queues_option(["-v0"]) == (None, ["-v0"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def _wait(what: str, condition, timeout: float) -> None:
    wait_until(what, condition, timeout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal")
def test_the_interactive_worker_dies_with_the_worker_that_started_it(tmp_path: Path) -> None:
    env = site_env(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "paraph", "migrate", "-v0"], cwd=REPO, env=env, check=True
    )
    database = tmp_path / "var" / "paraph.sqlite3"

    def heartbeats() -> dict[str, int]:
        with sqlite3.connect(database, timeout=20) as connection:
            rows = connection.execute("SELECT queues, name FROM core_workerheartbeat").fetchall()
        return {queues: int(name.rpartition(":")[2]) for queues, name in rows}

    worker = subprocess.Popen(
        [sys.executable, "-m", "paraph", "worker", "--no-startup-delay"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait("both workers", lambda: len(heartbeats()) == 2, timeout=60)
        pids = heartbeats()
        assert pids[",".join(QUEUES)] == worker.pid
        interactive = pids["interactive"]
        assert interactive != worker.pid

        os.kill(worker.pid, signal.SIGKILL)  # the main worker only, not its group
        worker.wait(timeout=30)

        _wait("the interactive worker to stop", lambda: not _alive(interactive), timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
