"""Every write about support tickets: one function, one transaction, one audit event."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from paraph.accounts.models import Language
from paraph.audit.services import audit_record
from paraph.core.context import Context
from paraph.core.ratelimit import ratelimit_hit
from paraph.notifications.services import email_send
from paraph.support.models import QUEUE_BY_TOPIC, Ticket, TicketSequence, Topic

# Anti-automation for the public contact form (SU-1): a person rarely
# needs more than a few messages an hour; the phone is there for the rest.
CONTACT_RATE_LIMIT = 5
CONTACT_RATE_WINDOW_SECONDS = 3600


class TicketRateLimited(Exception):
    """Too many tickets from one address: nothing was created."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"contact form rate limit reached, retry after {retry_after}s")
        self.retry_after = retry_after


def _next_number(year: int) -> str:
    sequence, _created = TicketSequence.objects.select_for_update().get_or_create(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"T-{year}-{sequence.last:06d}"


def ticket_create(
    *,
    topic: str,
    name: str,
    email: str,
    reference: str,
    message: str,
    language: str,
    person: Any | None,
    context: Context,
) -> Ticket:
    """Open a ticket in the queue of its topic and acknowledge it by e-mail.

    The caller has validated the fields. From a client address (a form on the
    public site), each client address may open ``CONTACT_RATE_LIMIT``
    tickets per hour: beyond that, raises :class:`TicketRateLimited` and
    creates nothing. Refuses an unknown topic with ``ValueError``.
    """
    if topic not in Topic.values:
        raise ValueError(f"unknown ticket topic {topic!r}")
    if language not in Language.values:
        language = settings.LANGUAGE_CODE
    if context.ip is not None:
        # Counted outside the transaction: a refused attempt must still count.
        limit = ratelimit_hit(
            scope="support.contact",
            key=context.ip or "unknown",
            limit=CONTACT_RATE_LIMIT,
            window_seconds=CONTACT_RATE_WINDOW_SECONDS,
        )
        if not limit.allowed:
            raise TicketRateLimited(limit.retry_after)

    with transaction.atomic():
        ticket = Ticket.objects.create(
            number=_next_number(timezone.localdate().year),
            topic=topic,
            queue=QUEUE_BY_TOPIC[topic],
            name=name,
            email=email,
            reference=reference,
            message=message,
            language=language,
            person=person,
        )
        audit_record(
            name="support.ticket.created",
            actor=person,
            subject=ticket,
            data={"number": ticket.number, "topic": topic, "queue": ticket.queue},
            context=context,
            actor_label="" if person is not None else f"{name} <{email}>"[:200],
        )
        with translation.override(language):
            topic_label = str(Topic(topic).label)
        # The message itself is not repeated in the e-mail: the form must not
        # become a way to send any text to any address.
        email_send(
            to=email,
            template="ticket_received",
            context={
                "number": ticket.number,
                "name": name,
                "topic": topic_label,
            },
            language=language,
            person=person,
        )
    return ticket
