"""Webhook deliveries: an event emitted to every endpoint that wants it,
a ping, a replay, and the delivery's life in the outbox (claimed under a
lease, recorded, retried with back-off, swept when stuck, requeued by
staff)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.core.outbox import enqueue_on_commit, enqueue_safely, requeue
from paraph.senders.models import (
    PING_EVENT,
    ApiKey,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from paraph.senders.services.common import (
    WEBHOOK_MAX_ATTEMPTS,
    WEBHOOK_RETRY_DELAYS,
    SenderError,
    actor_label,
)

logger = logging.getLogger(__name__)

# --- Webhook deliveries ------------------------------------------------------------


def _enqueue(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    """Wake a worker for the delivery once the transaction commits; when the
    queue cannot be reached, or cannot defer, the sweeper
    (:func:`webhook_deliveries_retry_due`) sends it when due."""
    from paraph.senders.tasks import webhook_deliver

    if run_after is None:
        enqueue_on_commit(webhook_deliver, delivery_id)
    elif webhook_deliver.get_backend().supports_defer:
        enqueue_on_commit(webhook_deliver, delivery_id, run_after=run_after)


def _payload(*, event: str, event_id: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": event,
            "created": timezone.now().isoformat().replace("+00:00", "Z"),
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )


def webhook_event_emit(
    *, sender_id: int, event: str, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of the sender that
    subscribed to it, in the caller's transaction: nothing leaves unless
    it commits, and each delivery then runs in the ``webhooks`` queue, so
    a slow or dead endpoint delays nothing else. Not audited: the change
    that caused the event is."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(sender_id=sender_id, is_active=True)
        if e.wants(event)
    ]
    if not endpoints:
        return []
    event_id = f"evt_{secrets.token_hex(12)}"
    body = _payload(event=event, event_id=event_id, data=data)
    deliveries = []
    with transaction.atomic():
        for endpoint in endpoints:
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, event=event, event_id=event_id, body=body
            )
            _enqueue(delivery.pk)
            deliveries.append(delivery)
    return deliveries


def webhook_endpoint_ping(
    *, endpoint: WebhookEndpoint, actor: Person | None, context: Context = SYSTEM
) -> WebhookDelivery:
    """Send a ``ping`` event to ``endpoint`` (the back office's "test" button)."""
    event_id = f"evt_{secrets.token_hex(12)}"
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=PING_EVENT,
            event_id=event_id,
            body=_payload(
                event=PING_EVENT,
                event_id=event_id,
                data={
                    "sender": str(endpoint.sender.public_id),
                    "endpoint": str(endpoint.public_id),
                },
            ),
        )
        audit_record(
            name="senders.webhook.pinged",
            actor=actor,
            subject=endpoint,
            data={"delivery": delivery.pk},
            context=context,
        )
        _enqueue(delivery.pk)
    return delivery


def webhook_delivery_replay(
    *,
    delivery: WebhookDelivery,
    actor: Person | None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> WebhookDelivery:
    """Send a delivery's payload again (same event id, so the receiver can
    recognise a duplicate), as a new delivery in the log. Refuses an
    endpoint that was disabled (:class:`SenderError` ``disabled``)."""
    if not WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, is_active=True).exists():
        raise SenderError(
            gettext("This endpoint is disabled: enable it before replaying."), code="disabled"
        )
    with transaction.atomic():
        replay = WebhookDelivery.objects.create(
            endpoint_id=delivery.endpoint_id,
            event=delivery.event,
            event_id=delivery.event_id,
            body=delivery.body,
            replay_of=delivery,
        )
        audit_record(
            name="senders.webhook.replayed",
            actor=actor,
            subject=replay,
            data={"replay_of": delivery.pk, "event": delivery.event},
            context=context,
            actor_label=actor_label(actor, api_key),
        )
        _enqueue(replay.pk)
    return replay


def _lease_start(now: dt.datetime) -> dt.datetime:
    """An attempt that started before this has no live worker any more: the
    lease (``last_attempt_at`` + ``WORK_LEASE_SECONDS``) ended."""
    return now - dt.timedelta(seconds=settings.WORK_LEASE_SECONDS)


def webhook_delivery_claim(*, delivery_id: int) -> WebhookDelivery | None:
    """Take a delivery for one attempt (at most one worker at a time), or
    None when it was delivered, given up, not due yet or in the hands of a
    worker whose lease still runs. A delivery whose worker died during the
    attempt is taken again once the lease ended; it is sent with the same
    ``Paraph-Delivery`` and ``Paraph-Event-Id``, so a receiver that got the
    first one recognises the copy."""
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=DeliveryStatus.PENDING)
            | Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.DELIVERING, last_attempt_at__lt=_lease_start(now))
        )
        .update(
            status=DeliveryStatus.DELIVERING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=None,
        )
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint__sender").get(pk=delivery_id)


def webhook_delivery_record(
    *,
    delivery: WebhookDelivery,
    ok: bool,
    response_status: int | None,
    error: str,
    duration_ms: int,
) -> WebhookDelivery:
    """Note the outcome of an attempt: delivered; or retried after the next
    delay of :data:`WEBHOOK_RETRY_DELAYS`; or, after the last one, failed,
    with one ``senders.webhook.failed`` audit event."""
    now = timezone.now()
    delivery.response_status = response_status
    delivery.error = error[:300]
    delivery.duration_ms = duration_ms
    fields = ["status", "response_status", "error", "duration_ms", "next_attempt_at"]
    with transaction.atomic():
        if ok:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.save(update_fields=[*fields, "delivered_at"])
            return delivery
        if delivery.attempts < WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_attempt_at = now + WEBHOOK_RETRY_DELAYS[delivery.attempts - 1]
            delivery.save(update_fields=fields)
            _enqueue(delivery.pk, run_after=delivery.next_attempt_at)
            return delivery
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.save(update_fields=fields)
        audit_record(
            name="senders.webhook.failed",
            subject=delivery,
            data={
                "endpoint": delivery.endpoint_id,
                "event": delivery.event,
                "attempts": delivery.attempts,
                "error": delivery.error,
            },
        )
    logger.warning(
        "webhook delivery %s to endpoint %s given up after %s attempts: %s",
        delivery.pk,
        delivery.endpoint_id,
        delivery.attempts,
        delivery.error,
    )
    return delivery


def webhook_deliveries_retry_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Enqueue every delivery that is due and in no live worker's hands:
    retries that are due (for task backends that cannot defer a task, and
    retries lost with a queue), pending ones whose task was lost (the queue
    was down when they were made; after a lease, so one waiting in a long
    queue is not enqueued at every sweep), and those whose worker died
    during the attempt (its lease ended). Returns how many were enqueued
    (each one is claimed, so running this twice sends nothing twice)."""
    from paraph.senders.tasks import webhook_deliver

    now = now or timezone.now()
    lease_start = _lease_start(now)
    due = list(
        WebhookDelivery.objects.filter(
            Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now)
            # (a requeued one is due from its requeue: next_attempt_at)
            | Q(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=lease_start),
                status=DeliveryStatus.PENDING,
                created_at__lte=lease_start,
            )
            | Q(status=DeliveryStatus.DELIVERING, last_attempt_at__lt=lease_start)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(enqueue_safely(webhook_deliver, delivery_id) for delivery_id in due)


def webhook_delivery_stuck(delivery: WebhookDelivery, now: dt.datetime) -> bool:
    """Pending or due for its retry for longer than a lease (its task was
    lost), or "being sent" by a worker whose lease ended."""
    lease_start = _lease_start(now)
    if delivery.status == DeliveryStatus.DELIVERING:
        return delivery.last_attempt_at is not None and delivery.last_attempt_at < lease_start
    if delivery.status == DeliveryStatus.RETRYING:
        return delivery.next_attempt_at is not None and delivery.next_attempt_at <= lease_start
    due = delivery.next_attempt_at or delivery.created_at
    return delivery.status == DeliveryStatus.PENDING and due <= lease_start


def webhook_delivery_requeue(*, delivery_id: int, context: Context) -> str:
    """A staff member's "requeue" (the back office's page of outgoing work),
    as :func:`~paraph.notifications.services.message_requeue` does for a
    message: a delivery that was given up goes back to pending for one more
    attempt, and one that is stuck (its task lost, its worker dead, its
    retry overdue by a lease) is woken up again; one
    ``senders.webhook.requeued`` audit event naming the context's actor
    either way.
    Idempotent (:func:`~paraph.core.outbox.requeue`): a delivery already
    pending, waiting for its retry, being delivered or delivered is left
    alone, and a wake-up of one that is also queued posts it once (the
    worker claims it). Returns a :class:`~paraph.core.outbox.Requeue` value."""

    def record(delivery: WebhookDelivery, was: str) -> None:
        audit_record(
            name="senders.webhook.requeued",
            subject=delivery,
            data={
                "endpoint": delivery.endpoint_id,
                "event": delivery.event,
                "attempts": delivery.attempts,
                "was": was,
                "error": delivery.error,
            },
            context=context,
        )

    return requeue(
        rows=WebhookDelivery.objects.all(),
        pk=delivery_id,
        delivered=DeliveryStatus.SUCCEEDED,
        given_up=DeliveryStatus.FAILED,
        reopened=DeliveryStatus.PENDING,
        stuck=webhook_delivery_stuck,
        record=record,
        wake=lambda delivery: _enqueue(delivery.pk),
    )


def webhook_deliveries_sweep(now: dt.datetime) -> int:
    """The outbox sweep of webhook deliveries (``paraph work-sweep``)."""
    return webhook_deliveries_retry_due(now=now)
