"""Rate limits shared by every process: the database and cache backends
count the same way, never store what they limit, and never lose a hit."""

from __future__ import annotations

import datetime as dt
import os
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import QuerySet

from paraph.core import ratelimit
from paraph.core.models import RateLimitCounter
from paraph.core.ratelimit import RateLimitResult, ratelimit_hit, ratelimit_prune, ratelimit_reset

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture(params=["database", "cache"])
def backend(request, settings, db):
    settings.RATELIMIT_BACKEND = request.param
    return request.param


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def hit(key="192.0.2.1", *, scope="test.scope", limit=3, window_seconds=60):
    return ratelimit_hit(scope=scope, key=key, limit=limit, window_seconds=window_seconds)


def test_hits_are_allowed_up_to_the_limit_then_refused_until_the_window_ends(backend, clock):
    assert [hit() for _ in range(3)] == [RateLimitResult(allowed=True, retry_after=0)] * 3
    clock.shift(20)
    assert hit() == RateLimitResult(allowed=False, retry_after=40)
    clock.shift(39)
    assert hit() == RateLimitResult(allowed=False, retry_after=1)
    clock.shift(1)
    assert hit().allowed


def test_refused_hits_keep_counting_within_the_window(backend, clock):
    for _ in range(10):
        hit()
    clock.shift(59)
    assert not hit().allowed


def test_keys_and_scopes_are_counted_apart(backend, clock):
    for _ in range(3):
        hit("192.0.2.1")
    assert not hit("192.0.2.1").allowed
    assert hit("192.0.2.2").allowed
    assert hit("192.0.2.1", scope="other.scope").allowed


def test_a_limit_of_zero_refuses_everything(backend, clock):
    assert hit(limit=0) == RateLimitResult(allowed=False, retry_after=60)


def test_reset_forgets_the_hits(backend, clock):
    for _ in range(4):
        hit()
    ratelimit_reset(scope="test.scope", key="192.0.2.1")
    assert hit().allowed


@pytest.mark.parametrize(
    "arguments",
    [
        {"scope": "", "key": "k", "limit": 1, "window_seconds": 1},
        {"scope": "s" * 65, "key": "k", "limit": 1, "window_seconds": 1},
        {"scope": "s", "key": "k", "limit": -1, "window_seconds": 1},
        {"scope": "s", "key": "k", "limit": 1, "window_seconds": 0},
    ],
)
def test_nonsense_limits_are_refused(backend, arguments):
    with pytest.raises(ValueError):
        ratelimit_hit(**arguments)


def test_an_unknown_backend_is_a_configuration_error(settings, db):
    from django.core.exceptions import ImproperlyConfigured

    settings.RATELIMIT_BACKEND = "memory"
    with pytest.raises(ImproperlyConfigured, match="RATELIMIT_BACKEND"):
        hit()


def test_the_database_keeps_only_a_keyed_hash_of_the_key(settings, db, clock):
    settings.RATELIMIT_BACKEND = "database"
    hit("+32470123456")
    row = RateLimitCounter.objects.values().get()
    assert "+32470123456" not in str(row)
    assert "32470123456" not in row["key_hash"]
    assert len(row["key_hash"]) == 64
    settings.SECRET_KEY = "another-secret-key-gives-another-hash-of-the-same-number-00"
    hit("+32470123456")
    assert RateLimitCounter.objects.count() == 2


def test_expired_windows_are_pruned_and_live_ones_kept(settings, db, clock, monkeypatch):
    settings.RATELIMIT_BACKEND = "database"
    hit("old", window_seconds=60)
    clock.shift(30)
    hit("live", window_seconds=60)
    clock.shift(31)
    assert ratelimit_prune() == 1
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [1]

    # Pruning also happens by itself, now and then, as hits come in.
    clock.shift(60)
    monkeypatch.setattr(ratelimit, "PRUNE_ONE_IN", 1)
    hit("new")
    assert RateLimitCounter.objects.count() == 1


def test_two_processes_creating_the_same_counter_lose_no_hit(settings, db, clock, monkeypatch):
    """Another process creates the row after our updates found nothing and
    before our insert: the insert fails on the unique constraint, and the
    hit is counted on the other process's row."""
    settings.RATELIMIT_BACKEND = "database"
    real_update = QuerySet.update
    raced: list[bool] = []

    def update_then_a_rival_inserts(self, **fields):
        updated = real_update(self, **fields)
        if self.model is RateLimitCounter and "window_start" in fields and not raced:
            raced.append(True)
            RateLimitCounter.objects.bulk_create(
                [
                    RateLimitCounter(
                        scope="test.scope",
                        key_hash=ratelimit._key_hash("test.scope", "192.0.2.1"),
                        count=2,
                        window_start=T0,
                        expires_at=T0 + dt.timedelta(seconds=60),
                    )
                ]
            )
        return updated

    monkeypatch.setattr(QuerySet, "update", update_then_a_rival_inserts)
    assert hit(limit=2) == RateLimitResult(allowed=False, retry_after=60)
    assert raced
    assert RateLimitCounter.objects.get().count == 3


# SQLite's in-memory test database locks whole tables between threads (and
# SQLite runs one writer at a time anyway), so the database backend meets
# real concurrency only on PostgreSQL; ``make test`` runs this there in CI.
CONCURRENT_BACKENDS = ["cache"] + (
    ["database"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else []
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend_name", CONCURRENT_BACKENDS)
def test_concurrent_hits_are_all_counted(settings, backend_name):
    settings.RATELIMIT_BACKEND = backend_name
    threads, per_thread, limit = 6, 10, 25
    allowed: list[bool] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(per_thread):
                result = ratelimit_hit(
                    scope="test.concurrent", key="k", limit=limit, window_seconds=600
                )
                with lock:
                    allowed.append(result.allowed)
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not errors, errors
    assert allowed.count(True) == limit
    assert len(allowed) == threads * per_thread
    if backend_name == "database":
        assert RateLimitCounter.objects.get().count == threads * per_thread


def test_a_limit_is_still_kept_when_redis_does_not_answer(settings, db, clock, caplog):
    from paraph.notifications.tests.conftest import free_port

    settings.RATELIMIT_BACKEND = "cache"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }

    # Counted in the database meanwhile: no error, and the limit holds.
    assert [hit().allowed for _ in range(4)] == [True, True, True, False]
    assert "Redis did not answer" in caplog.text
    ratelimit_reset(scope="test.scope", key="192.0.2.1")
    assert hit().allowed
