"""Idempotency keys: a creation request retried with the same
``Idempotency-Key`` gets the first answer again, and never makes a second
contract (the IETF draft "The Idempotency-Key HTTP Header Field").

A request holds its key with a lease (``WORK_LEASE_SECONDS``): when its
process dies, the key answers 409 until the lease ends, and the next
request with the key then takes over. Whatever the first request created
was noted on the key in the creation's own transaction
(:data:`paraph.core.outbox.resource_created`), so the request that takes
over answers with it: a contract is made once, whatever crashed when."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from paraph.api.models import IdempotencyKey
from paraph.api.problems import Problem
from paraph.core.outbox import lease_until
from paraph.senders.models import Sender

IDEMPOTENCY_TTL = dt.timedelta(hours=24)
KEY_MAX_LENGTH = 200
_REPLAYED_HEADERS = ("Location",)
# Old keys are deleted on about one request in this many: no scheduled job.
PURGE_ONE_IN = 100


# The key of the request being answered in this thread (or task), if any.
_current_key: ContextVar[int | None] = ContextVar("paraph_idempotency_key", default=None)


@dataclass(frozen=True)
class IdempotencyStart:
    """Either the stored answer to replay, or the row to complete. A row
    taken over from a request that died may name what that request created
    (``row.resource_type``, ``row.resource_id``): answer with it."""

    replay: HttpResponse | None
    row: IdempotencyKey | None


@contextmanager
def idempotency_answering(row: IdempotencyKey) -> Iterator[None]:
    """While the block runs, what a service creates is noted on ``row``."""
    token = _current_key.set(row.pk)
    try:
        yield
    finally:
        _current_key.reset(token)


def idempotency_note_resource(sender: Any, subject: Any, **kwargs: Any) -> None:
    """Receiver of ``resource_created``: in the creating transaction, note
    the first thing the request being answered created on its key."""
    key_id = _current_key.get()
    if key_id is None:
        return
    IdempotencyKey.objects.filter(pk=key_id, resource_id="").update(
        resource_type=subject._meta.label_lower, resource_id=str(subject.public_id)
    )


def _lease_ended(row: IdempotencyKey, now: dt.datetime) -> bool:
    end = row.lease_until or row.created_at + dt.timedelta(seconds=settings.WORK_LEASE_SECONDS)
    return end < now


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        row.response_body,
        status=row.response_status or 200,
        content_type=row.response_headers.get("Content-Type", "application/json"),
    )
    for name, value in row.response_headers.items():
        if name != "Content-Type":
            response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_begin(*, sender: Sender, key: str, request_hash: str) -> IdempotencyStart:
    """Start a request carrying ``key``. The first time, a row is taken
    (the answer is stored by :func:`idempotency_finish`); afterwards the
    stored answer comes back. Raises :class:`Problem` 422 when the key was
    used with another request, 409 while the first request is still being
    answered (its lease runs), 400 for an empty or over-long key. A key
    whose request died is taken over once its lease ended. Keys are kept
    24 hours."""
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "bad_request",
            f"The Idempotency-Key header must be 1 to {KEY_MAX_LENGTH} printable characters.",
        )
    now = timezone.now()
    cutoff = now - IDEMPOTENCY_TTL
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        idempotency_purge()
    for _attempt in range(3):
        row = IdempotencyKey.objects.filter(sender=sender, key=key).first()
        if row is not None and row.created_at < cutoff:
            IdempotencyKey.objects.filter(pk=row.pk).delete()
            row = None
        if row is None:
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        sender=sender,
                        key=key,
                        request_hash=request_hash,
                        lease_until=lease_until(settings.WORK_LEASE_SECONDS, now=now),
                    )
                return IdempotencyStart(replay=None, row=row)
            except IntegrityError:
                continue  # another request with this key started just now
        if row.request_hash != request_hash:
            raise Problem(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request in the last "
                "24 hours. Use a new key for a new request.",
            )
        if row.response_status is None and _lease_ended(row, now):
            # The request that held the key died: take it over, unless
            # another retry just did.
            taken = IdempotencyKey.objects.filter(
                pk=row.pk, response_status__isnull=True, lease_until=row.lease_until
            ).update(lease_until=lease_until(settings.WORK_LEASE_SECONDS, now=now))
            if not taken:
                continue
            row.refresh_from_db()
            return IdempotencyStart(replay=None, row=row)
        if row.response_status is None:
            raise Problem(
                409,
                "idempotency_key_in_use",
                "The first request with this Idempotency-Key is still being answered: "
                "retry in a moment.",
                headers={"Retry-After": "2"},
            )
        return IdempotencyStart(replay=_replay(row), row=None)
    raise Problem(409, "idempotency_key_in_use", "Retry in a moment.", headers={"Retry-After": "2"})


def idempotency_finish(*, row: IdempotencyKey, response: HttpResponse) -> None:
    """Keep the answer for the retries to come; an answer 500 or above is
    not kept (the key is released, so a retry really tries again)."""
    if response.status_code >= 500:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    headers = {"Content-Type": response.get("Content-Type", "application/json")}
    for name in _REPLAYED_HEADERS:
        if name in response:
            headers[name] = response[name]
    IdempotencyKey.objects.filter(pk=row.pk).update(
        response_status=response.status_code,
        response_body=response.content.decode(),
        response_headers=headers,
    )


def idempotency_release(*, row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).delete()


def idempotency_keys_sweep(now: dt.datetime) -> int:
    """The outbox sweep of idempotency keys: forget those older than 24
    hours (a key whose request died needs nothing: the next request with it
    takes over)."""
    return idempotency_purge()


def idempotency_purge() -> int:
    """Forget keys older than 24 hours; returns how many."""
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    return deleted
