"""Reads the notification pages share."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from paraph.notifications.addresses import recipient_normalize
from paraph.notifications.models import Channel, OutboundMessage, SandboxMessage

# What the person's list shows: the kept body is read only for an SMS
# headline, and SMS bodies are short.
_LIST_FIELDS = (
    "id",
    "channel",
    "to",
    "secret",
    "subject",
    "body_text",
    "status",
    "created_at",
    "sent_at",
)


def message_list_for_person(*, person: Any) -> QuerySet[OutboundMessage]:
    """The messages Paraph sent (or tried to send) to ``person``, newest
    first, in one query whatever their number."""
    return (
        OutboundMessage.objects.filter(person=person)
        .only(*_LIST_FIELDS)
        .order_by("-created_at", "-id")
    )


def message_get_for_person(*, person: Any, message_id: int) -> OutboundMessage:
    """One of ``person``'s messages; raises ``OutboundMessage.DoesNotExist``
    for anyone else's, exactly as for a message that does not exist."""
    return OutboundMessage.objects.get(pk=message_id, person=person)


def sandbox_message_list(*, recipient: str = "") -> QuerySet[SandboxMessage]:
    """Everything the sandboxes "delivered", newest first; with a
    ``recipient`` (a phone number or an e-mail address as people type
    them), only what went to it. Raises ``ValidationError`` for a recipient
    that is neither."""
    messages = SandboxMessage.objects.order_by("-created_at", "-id")
    if not recipient.strip():
        return messages
    normalized = recipient_normalize(recipient)
    if "@" in normalized:
        return messages.filter(channel=Channel.EMAIL, to__iexact=normalized)
    return messages.filter(channel=Channel.SMS, to=normalized)


def sandbox_message_get(*, message_id: int) -> SandboxMessage:
    return SandboxMessage.objects.get(pk=message_id)
