"""Task workers say they are alive: ``paraph worker`` writes its heartbeat
(one database row per worker process) when it starts and then every
``HEARTBEAT_SECONDS`` from a thread of its own, whatever the queue backend;
``/health/ready`` reads it. The database is the one store every backend has,
and a write every half minute per worker costs nothing."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import close_old_connections, connections
from django.utils import timezone

from paraph.core.models import WorkerHeartbeat

HEARTBEAT_SECONDS = 30
# Rows of workers not seen for this long are removed by the next beat.
FORGET_AFTER = dt.timedelta(days=1)

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_heartbeat_record(*, name: str, queues: Iterable[str], started_at: dt.datetime) -> None:
    """Record that worker ``name`` is alive now."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name=name[:200],
        defaults={
            "queues": ",".join(queues)[:300],
            "started_at": started_at,
            "last_seen_at": now,
        },
    )
    WorkerHeartbeat.objects.filter(last_seen_at__lt=now - FORGET_AFTER).delete()


def worker_last_seen() -> dt.datetime | None:
    """When any worker last said it was alive (None: never)."""
    row = WorkerHeartbeat.objects.order_by("-last_seen_at").values_list("last_seen_at").first()
    return row[0] if row else None


def _beat(name: str, queues: list[str], started_at: dt.datetime) -> None:
    try:
        worker_heartbeat_record(name=name, queues=queues, started_at=started_at)
    except Exception:  # a missed beat must never stop the worker
        logger.warning("the worker's heartbeat could not be written", exc_info=True)


def stopped_within(stop: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``stop``; whether it was set. In short
    relative sleeps rather than ``stop.wait(seconds)``, whose deadline is an
    absolute time: under a moved clock (libfaketime, as CI runs the suite)
    that deadline is never reached."""
    end = time.monotonic() + seconds
    while not stop.is_set():
        left = end - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.25))
    return True


@contextmanager
def heartbeat_running(queues: Iterable[str]) -> Iterator[None]:
    """Beat once now, then every ``HEARTBEAT_SECONDS`` until the block ends."""
    name = worker_name()
    queues = list(queues)
    started_at = timezone.now()
    _beat(name, queues, started_at)
    stop = threading.Event()

    def loop() -> None:
        while not stopped_within(stop, HEARTBEAT_SECONDS):
            close_old_connections()
            _beat(name, queues, started_at)
        connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=loop, name="paraph-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
