"""A running worker keeps saying it is alive; one gone for a day is forgotten."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from paraph.core import heartbeat
from paraph.core.models import WorkerHeartbeat


def _last_seen() -> Any:
    """The beat's time, read while the beating thread may be writing: the
    tests' in-memory SQLite (shared cache) locks the whole table meanwhile
    ("database table is locked"), which a file or PostgreSQL does not."""
    for _ in range(100):
        try:
            return WorkerHeartbeat.objects.get().last_seen_at
        except OperationalError:
            time.sleep(0.02)
    return WorkerHeartbeat.objects.get().last_seen_at


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_beats_again_and_again(monkeypatch):
    monkeypatch.setattr(heartbeat, "HEARTBEAT_SECONDS", 0.2)

    with heartbeat.heartbeat_running(["default", "notifications"]):
        first = _last_seen()
        deadline = time.monotonic() + 10
        while _last_seen() == first:
            assert time.monotonic() < deadline, "no second beat"
            time.sleep(0.05)

    beat = WorkerHeartbeat.objects.get()
    assert beat.name == heartbeat.worker_name()
    assert beat.queues == "default,notifications"
    assert heartbeat.worker_last_seen() == beat.last_seen_at


@pytest.mark.django_db
def test_workers_gone_for_a_day_are_forgotten():
    long_ago = timezone.now() - dt.timedelta(days=2)
    heartbeat.worker_heartbeat_record(name="old:1", queues=["default"], started_at=long_ago)
    WorkerHeartbeat.objects.update(last_seen_at=long_ago)

    heartbeat.worker_heartbeat_record(name="new:2", queues=["default"], started_at=timezone.now())

    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == ["new:2"]
