"""Is this node ready to serve? Each part Paraph needs is asked once, with a
short time-out: the database, Redis (when configured), the task queue, the
document storage, and whether a task worker said it was alive recently.

A check never raises: it answers ``ok`` or ``fail`` with a short reason (an
exception's class, never its message, which may name hosts or paths).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections
from django.utils import timezone

from paraph.core.heartbeat import worker_last_seen

REDIS_TIMEOUT_SECONDS = 2
_clients: dict[str, redis.Redis] = {}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        state = {"status": "ok" if self.ok else "fail"}
        return {**state, "detail": self.detail} if self.detail else state


def _failure(name: str, exc: BaseException) -> Check:
    return Check(name, False, type(exc).__name__)


def _redis(url: str) -> redis.Redis:
    client = _clients.get(url)
    if client is None:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        _clients[url] = client
    return client


def _backend() -> str:
    return str(settings.TASKS["default"]["BACKEND"])


def check_database() -> Check:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _failure("database", exc)
    return Check("database", True)


def check_redis() -> Check | None:
    """Redis holds the cache and the rate limits; None when not configured."""
    if not settings.REDIS_URL:
        return None
    try:
        _redis(settings.REDIS_URL).ping()
    except Exception as exc:
        return _failure("redis", exc)
    return Check("redis", True)


def check_queue() -> Check | None:
    """The task queue answers: RQ's Redis, or the database backend's table.
    None for the immediate backend, which runs tasks where they are queued."""
    backend = _backend()
    try:
        if backend.startswith("django_tasks_rq"):
            urls = {str(config.get("URL", "")) for config in settings.RQ_QUEUES.values()}
            for url in sorted(urls):
                _redis(url).ping()
        elif backend.startswith("django_tasks_db"):
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.filter(status="READY").exists()
        else:
            return None
    except Exception as exc:
        return _failure("queue", exc)
    return Check("queue", True)


def check_storage() -> Check:
    """Documents can be written and removed where every node keeps them."""
    try:
        name = default_storage.save(f"health/{uuid.uuid4().hex}", ContentFile(b"ok"))
        default_storage.delete(name)
    except Exception as exc:
        return _failure("storage", exc)
    return Check("storage", True)


def check_worker() -> Check | None:
    """A task worker wrote its heartbeat within ``WORKER_SEEN_SECONDS``.
    None for the immediate backend, which needs no worker."""
    backend = _backend()
    if not backend.startswith(("django_tasks_rq", "django_tasks_db")):
        return None
    try:
        seen = worker_last_seen()
    except Exception as exc:
        return _failure("worker", exc)
    if seen is None:
        return Check("worker", False, "never seen")
    age = (timezone.now() - seen).total_seconds()
    if age > settings.WORKER_SEEN_SECONDS:
        return Check("worker", False, f"last seen {int(age)} s ago")
    return Check("worker", True)


CHECKS: tuple[Callable[[], Check | None], ...] = (
    check_database,
    check_redis,
    check_queue,
    check_storage,
    check_worker,
)


@dataclass(frozen=True)
class Readiness:
    checks: tuple[Check, ...]
    at: dt.datetime

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ok else "not ready",
            "checks": {check.name: check.as_json() for check in self.checks},
            "failed": [check.name for check in self.checks if not check.ok],
        }


def readiness() -> Readiness:
    """Every check that applies to this configuration, in a fixed order."""
    checks = tuple(check for check in (run() for run in CHECKS) if check is not None)
    return Readiness(checks=checks, at=timezone.now())
