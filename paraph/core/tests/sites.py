"""For tests that run Paraph in processes of their own (workers killed,
queues timed): the environment of a site of its own, and waiting for what
those processes do."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def site_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """SQLite in a fresh data folder under ``tmp_path`` and the database task
    queue, whatever run (PostgreSQL, Redis, object storage, xdist worker)
    the test itself is in; ``extra`` on top."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "PARAPH_TEST_STORAGE", "PYTEST_XDIST_WORKER")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="paraph.test_settings",
        PARAPH_DATA_DIR=str(tmp_path / "var"),
        PARAPH_TASK_BACKEND="database",
    )
    env.update(extra)
    return env


def wait_until(
    what: str, condition: Callable[[], bool], timeout: float, *, every: float = 0.1
) -> None:
    """Return once ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"waited {timeout} s for {what}")


def settings_read(tmp_path: Path, expression: str, **environment: str) -> str:
    """What ``expression`` (over ``settings``, ``paraph.settings``) prints in
    a fresh process started with only ``environment``, a ``PATH`` and a data
    folder under ``tmp_path``: the settings as that environment makes them."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PARAPH_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "paraph.settings",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", f"from paraph import settings; print({expression})"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
