"""Reads for the operator's pages: outgoing work (e-mails, SMS and webhook
deliveries) in one list, newest first, whatever table each kind lives in."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from paraph.notifications.models import Channel, OutboundMessage
from paraph.notifications.services import message_stuck
from paraph.senders.models import DeliveryStatus, WebhookDelivery
from paraph.senders.services import webhook_delivery_stuck

MESSAGE = "message"
WEBHOOK = "webhook"

# One status for both tables, as an operator asks about them.
FAILED, WAITING, WORKING, DONE = "failed", "waiting", "working", "done"
STATES = {
    FAILED: pgettext_lazy("outgoing work", "Given up"),
    WAITING: pgettext_lazy("outgoing work", "Waiting"),
    WORKING: pgettext_lazy("outgoing work", "Being sent"),
    DONE: pgettext_lazy("outgoing work", "Delivered"),
}
_MESSAGE_STATES: dict[str, list[str]] = {
    FAILED: [OutboundMessage.Status.FAILED],
    WAITING: [OutboundMessage.Status.QUEUED],
    WORKING: [OutboundMessage.Status.SENDING],
    DONE: [OutboundMessage.Status.SENT],
}
_DELIVERY_STATES: dict[str, list[str]] = {
    FAILED: [DeliveryStatus.FAILED],
    WAITING: [DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
    WORKING: [DeliveryStatus.DELIVERING],
    DONE: [DeliveryStatus.SUCCEEDED],
}
KINDS = {
    Channel.EMAIL.value: _("E-mail"),
    Channel.SMS.value: _("SMS"),
    WEBHOOK: _("Webhook"),
}


@dataclass(frozen=True)
class OutgoingRow:
    """One message or one webhook delivery, as the page shows it."""

    source: str  # MESSAGE or WEBHOOK
    pk: int
    kind: str  # a key of KINDS
    what: str  # the template or the event
    to: str  # the address, the number or the endpoint's URL
    state: str  # a key of STATES
    status_label: str  # the row's own status, in words
    stuck: bool  # due (or claimed) for longer than a lease: its task or worker is gone
    attempts: int
    error: str
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def key(self) -> str:
        """What the page's requeue form sends for this row."""
        return f"{self.source}:{self.pk}"

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def requeueable(self) -> bool:
        return self.state == FAILED or self.stuck


def _state_of(states: dict[str, list[str]], status: str) -> str:
    return next(state for state, statuses in states.items() if status in statuses)


def _message_row(message: OutboundMessage, now: dt.datetime) -> OutgoingRow:
    return OutgoingRow(
        source=MESSAGE,
        pk=message.pk,
        kind=message.channel,
        what=message.template,
        to=message.to,
        state=_state_of(_MESSAGE_STATES, message.status),
        status_label=message.get_status_display(),
        stuck=message_stuck(message, now),
        attempts=message.attempts,
        error=message.error,
        next_attempt_at=message.next_attempt_at,
        created_at=message.created_at,
    )


def _delivery_row(delivery: WebhookDelivery, now: dt.datetime) -> OutgoingRow:
    return OutgoingRow(
        source=WEBHOOK,
        pk=delivery.pk,
        kind=WEBHOOK,
        what=delivery.event,
        to=delivery.endpoint.url,
        state=_state_of(_DELIVERY_STATES, delivery.status),
        status_label=delivery.get_status_display(),
        stuck=webhook_delivery_stuck(delivery, now),
        attempts=delivery.attempts,
        error=delivery.error,
        next_attempt_at=delivery.next_attempt_at,
        created_at=delivery.created_at,
    )


def _messages(state: str, kind: str) -> QuerySet[OutboundMessage]:
    rows = OutboundMessage.objects.all()
    if state:
        rows = rows.filter(status__in=_MESSAGE_STATES[state])
    if kind:
        rows = rows.filter(channel=kind)
    return rows


def _deliveries(state: str) -> QuerySet[WebhookDelivery]:
    rows = WebhookDelivery.objects.select_related("endpoint")
    if state:
        rows = rows.filter(status__in=_DELIVERY_STATES[state])
    return rows


def outgoing_list(
    *,
    state: str = "",
    kind: str = "",
    before: dt.datetime | None = None,
    messages: bool = True,
    webhooks: bool = True,
    limit: int = 50,
) -> list[OutgoingRow]:
    """Messages and webhook deliveries, newest first, at most ``limit``,
    made before ``before`` (the next page starts at the last row's time);
    ``state`` a key of :data:`STATES`, ``kind`` one of :data:`KINDS`
    (empty: every one); ``messages``/``webhooks`` False leaves that table
    out (the reader may not see it). Two queries at most."""
    now = timezone.now()
    window = Q(created_at__lt=before) if before else Q()
    rows: list[OutgoingRow] = []
    if messages and kind != WEBHOOK:
        rows += [
            _message_row(message, now)
            for message in _messages(state, kind)
            .filter(window)
            .order_by("-created_at", "-pk")[:limit]
        ]
    if webhooks and kind in ("", WEBHOOK):
        rows += [
            _delivery_row(delivery, now)
            for delivery in _deliveries(state).filter(window).order_by("-created_at", "-pk")[:limit]
        ]
    rows.sort(key=lambda row: (row.created_at, row.pk), reverse=True)
    return rows[:limit]


def outgoing_counts(*, messages: bool = True, webhooks: bool = True) -> Counter[str]:
    """How many rows are in each state of :data:`STATES` (two queries)."""
    counts: Counter[str] = Counter()
    tables: list[
        tuple[QuerySet[OutboundMessage] | QuerySet[WebhookDelivery], dict[str, list[str]]]
    ] = []
    if messages:
        tables.append((OutboundMessage.objects.all(), _MESSAGE_STATES))
    if webhooks:
        tables.append((WebhookDelivery.objects.all(), _DELIVERY_STATES))
    for rows, states in tables:
        for status, count in rows.values_list("status").annotate(n=Count("pk")).order_by():
            counts[_state_of(states, status)] += count
    return counts
