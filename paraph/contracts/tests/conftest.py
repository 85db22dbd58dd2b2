"""Fixtures: see paraph/contracts/tests/fixtures.py. Tests marked
``postgres`` need real row locks (PostgreSQL); on SQLite they are left out
of the run (deselected, not skipped: nothing is missing there)."""

from __future__ import annotations

import os

import pytest

from paraph.contracts.tests.fixtures import *  # noqa: F403


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs PostgreSQL's row locks; left out of the SQLite run"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    left_out = [item for item in items if item.get_closest_marker("postgres") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]
