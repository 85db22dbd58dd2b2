"""A process on PostgreSQL keeps its database connection between requests
(opening one was half of an adminbox page's time: `bench/load.py
--postgres`), checked before each reuse; on SQLite, where opening is a
file, it does not. ``PARAPH_DB_CONN_MAX_AGE`` overrides either, as a fresh
process reads it from its environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paraph.core.tests.sites import settings_read


def _connection_settings(tmp_path: Path, **environment: str) -> dict:
    shown = settings_read(
        tmp_path,
        "__import__('json').dumps([settings.DATABASES['default'][k] for k in "
        "('ENGINE', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')])",
        **environment,
    )
    engine, max_age, checked = json.loads(shown)
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
