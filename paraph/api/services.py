"""Idempotency keys: a creation request retried with the same
``Idempotency-Key`` gets the first answer again, and never makes a second
contract (the IETF draft "The Idempotency-Key HTTP Header Field")."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from paraph.api.models import IdempotencyKey
from paraph.api.problems import Problem
from paraph.senders.models import Sender

IDEMPOTENCY_TTL = dt.timedelta(hours=24)
KEY_MAX_LENGTH = 200
_REPLAYED_HEADERS = ("Location",)
# Old keys are deleted on about one request in this many: no scheduled job.
PURGE_ONE_IN = 100


@dataclass(frozen=True)
class IdempotencyStart:
    """Either the stored answer to replay, or the row to complete."""

    replay: HttpResponse | None
    row: IdempotencyKey | None


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
    answered, 400 for an empty or over-long key. Keys are kept 24 hours."""
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "bad_request",
            f"The Idempotency-Key header must be 1 to {KEY_MAX_LENGTH} printable characters.",
        )
    cutoff = timezone.now() - IDEMPOTENCY_TTL
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        idempotency_purge()
    for _attempt in range(2):
        row = IdempotencyKey.objects.filter(sender=sender, key=key).first()
        if row is not None and row.created_at < cutoff:
            IdempotencyKey.objects.filter(pk=row.pk).delete()
            row = None
        if row is None:
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        sender=sender, key=key, request_hash=request_hash
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


def idempotency_purge() -> int:
    """Forget keys older than 24 hours; returns how many."""
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    return deleted
