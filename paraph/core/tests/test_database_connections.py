"""A process on PostgreSQL keeps its database connection between requests
(opening one was half of an adminbox page's time: `bench/load.py
--postgres`), checked before each reuse; on SQLite, where opening is a
file, it does not. ``PARAPH_DB_CONN_MAX_AGE`` overrides either, as a fresh
process reads it from its environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _connection_settings(tmp_path: Path, **environment: str) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PARAPH_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "paraph.settings",
        **environment,
    }
    code = (
        "import json; from paraph import settings; d = settings.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine, max_age, checked = json.loads(result.stdout.strip().splitlines()[-1])
    return {"engine": engine.rsplit(".", 1)[-1], "max_age": max_age, "checked": checked}


POSTGRES = "postgresql://paraph@db.internal:5432/paraph"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"DATABASE_URL": POSTGRES}, {"engine": "postgresql", "max_age": 60, "checked": True}),
        ({}, {"engine": "sqlite3", "max_age": 0, "checked": True}),
        (
            {"DATABASE_URL": POSTGRES, "PARAPH_DB_CONN_MAX_AGE": "0"},
            {"engine": "postgresql", "max_age": 0, "checked": True},
        ),
        ({"PARAPH_DB_CONN_MAX_AGE": "30"}, {"engine": "sqlite3", "max_age": 30, "checked": True}),
    ],
)
def test_connections_are_kept_on_postgresql_and_checked_before_reuse(
    tmp_path, environment, expected
):
    assert _connection_settings(tmp_path, **environment) == expected
