"""Rate limits shared by every web process and node.

``ratelimit_hit`` counts one hit against a limit and says whether it is
allowed; the counters live where every process sees them: in Redis (the
"cache" backend, the default when ``REDIS_URL`` is set) or in a database
table (the "database" backend), chosen by ``settings.RATELIMIT_BACKEND``.

Windows are fixed and start at the first hit: ``limit`` hits are allowed
in the ``window_seconds`` that follow it, then every hit is refused until
the window ends. What is limited (a phone number, an IP address) is only
ever stored as an HMAC keyed with the secret key.

When Redis cannot be reached, the counters move to the database table for
as long as it stays away (a warning in the log each time): a limit is
still kept across nodes, and a page never fails because Redis did (ADR 31).
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

from paraph.core.models import RateLimitCounter

logger = logging.getLogger(__name__)

# The database backend deletes expired windows on about one hit in this many,
# so the table stays small without a scheduled job.
PRUNE_ONE_IN = 200
_SCOPE_MAX = 64


@dataclass(frozen=True)
class RateLimitResult:
    """``allowed`` is false once the limit is exceeded; ``retry_after`` is
    then the number of seconds until the window ends (0 when allowed)."""

    allowed: bool
    retry_after: int


class _Backend(Protocol):
    def hit(self, *, scope: str, key_hash: str, window_seconds: int) -> tuple[int, datetime]:
        """Count one hit; return the window's count and the moment it ends."""
        ...

    def reset(self, *, scope: str, key_hash: str) -> None: ...


class DatabaseBackend:
    """Counters in ``core.RateLimitCounter``, one row per scope and key.

    Increments are single ``UPDATE ... SET count = count + 1`` statements, so
    concurrent hits never lose a count; when two processes create the same
    row at once, the unique constraint makes one of them retry on the row
    the other created. Correct on SQLite and on PostgreSQL."""

    def hit(self, *, scope: str, key_hash: str, window_seconds: int) -> tuple[int, datetime]:
        now = timezone.now()
        window_end = now + timedelta(seconds=window_seconds)
        rows = RateLimitCounter.objects.filter(scope=scope, key_hash=key_hash)
        for _attempt in range(3):
            with transaction.atomic():
                counted = rows.filter(expires_at__gt=now).update(count=F("count") + 1)
                if not counted:
                    # The window ended: this hit opens the next one.
                    counted = rows.filter(expires_at__lte=now).update(
                        count=1, window_start=now, expires_at=window_end
                    )
                if not counted:
                    try:
                        with transaction.atomic():
                            RateLimitCounter.objects.create(
                                scope=scope,
                                key_hash=key_hash,
                                count=1,
                                window_start=now,
                                expires_at=window_end,
                            )
                    except IntegrityError:
                        # Another process created the row first: count on it.
                        continue
                # Read inside the transaction that holds the row's lock, so the
                # count is the one this hit produced.
                count, expires_at = rows.values_list("count", "expires_at").get()
            if secrets.randbelow(PRUNE_ONE_IN) == 0:
                ratelimit_prune()
            return count, expires_at
        raise RuntimeError(f"rate-limit counter {scope!r} could not be updated")

    def reset(self, *, scope: str, key_hash: str) -> None:
        RateLimitCounter.objects.filter(scope=scope, key_hash=key_hash).delete()


class CacheBackend:
    """Counters in Django's cache: Redis in production (``add`` and ``incr``
    are atomic there). The window's end is kept beside the count, both
    expiring with the window."""

    @staticmethod
    def _keys(scope: str, key_hash: str) -> tuple[str, str]:
        base = f"paraph:ratelimit:{scope}:{key_hash}"
        return f"{base}:count", f"{base}:end"

    def hit(self, *, scope: str, key_hash: str, window_seconds: int) -> tuple[int, datetime]:
        count_key, end_key = self._keys(scope, key_hash)
        now = timezone.now()
        # The window ends by Paraph's clock, not only by the key's expiry on
        # the Redis server's clock: both agree in production, and tests that
        # move the clock see the window end too.
        end = cache.get(end_key)
        if end is not None and float(end) <= now.timestamp():
            cache.delete_many([count_key, end_key])
        # The first hit of a window fixes its end; later hits read it back.
        cache.add(end_key, (now + timedelta(seconds=window_seconds)).timestamp(), window_seconds)
        for _attempt in range(3):
            cache.add(count_key, 0, window_seconds)
            try:
                count = int(cache.incr(count_key))
            except ValueError:
                # The window expired between add and incr: start the next one.
                continue
            end = cache.get(end_key)
            if end is None:
                end = (now + timedelta(seconds=window_seconds)).timestamp()
            return count, datetime.fromtimestamp(float(end), tz=UTC)
        raise RuntimeError(f"rate-limit counter {scope!r} could not be updated")

    def reset(self, *, scope: str, key_hash: str) -> None:
        cache.delete_many(list(self._keys(scope, key_hash)))


_BACKENDS: dict[str, _Backend] = {"database": DatabaseBackend(), "cache": CacheBackend()}


def _backend() -> _Backend:
    try:
        return _BACKENDS[settings.RATELIMIT_BACKEND]
    except KeyError:
        raise ImproperlyConfigured(
            f"RATELIMIT_BACKEND must be 'database' or 'cache', not {settings.RATELIMIT_BACKEND!r}"
        ) from None


def _key_hash(scope: str, key: str) -> str:
    return salted_hmac("paraph.core.ratelimit", f"{scope}\x00{key}", algorithm="sha256").hexdigest()


def _check_scope(scope: str) -> None:
    if not scope or len(scope) > _SCOPE_MAX:
        raise ValueError(f"a rate-limit scope has 1 to {_SCOPE_MAX} characters, not {scope!r}")


def ratelimit_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> RateLimitResult:
    """Count one hit of ``key`` (an IP address, a phone number...) in
    ``scope`` (what is being limited, e.g. ``"login.ip"``).

    Allowed while the window holds at most ``limit`` hits. Refused hits
    still count, so hammering does not shorten the wait. Refuses a
    non-positive window, a negative limit and an empty or over-long scope
    (``ValueError``)."""
    _check_scope(scope)
    if window_seconds <= 0 or limit < 0:
        raise ValueError("a rate limit needs a positive window and a limit of 0 or more")
    key_hash = _key_hash(scope, key)
    try:
        count, window_end = _backend().hit(
            scope=scope, key_hash=key_hash, window_seconds=window_seconds
        )
    except RedisError as exc:
        logger.warning(
            "rate limit %s counted in the database: Redis did not answer (%s)",
            scope,
            type(exc).__name__,
        )
        count, window_end = _BACKENDS["database"].hit(
            scope=scope, key_hash=key_hash, window_seconds=window_seconds
        )
    if count <= limit:
        return RateLimitResult(allowed=True, retry_after=0)
    wait = (window_end - timezone.now()).total_seconds()
    return RateLimitResult(allowed=False, retry_after=max(1, math.ceil(wait)))


def ratelimit_reset(*, scope: str, key: str) -> None:
    """Forget every hit of ``key`` in ``scope`` (after a successful log-in,
    or when the contact centre lifts a block)."""
    _check_scope(scope)
    key_hash = _key_hash(scope, key)
    try:
        _backend().reset(scope=scope, key_hash=key_hash)
    except RedisError as exc:
        logger.warning("rate limit %s not reset in Redis (%s)", scope, type(exc).__name__)
    if settings.RATELIMIT_BACKEND != "database":
        # Hits counted there while Redis was away.
        _BACKENDS["database"].reset(scope=scope, key_hash=key_hash)


def ratelimit_prune() -> int:
    """Delete the database backend's expired windows; returns how many."""
    deleted, _by_model = RateLimitCounter.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
