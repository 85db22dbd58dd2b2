"""Sending e-mail and SMS: every message is queued in the caller's
transaction and delivered by a task once that transaction commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from paraph.core.sealing import seal
from paraph.notifications.models import Channel, OutboundMessage


def _queue(
    *, channel: str, to: str, template: str, context: dict[str, Any], language: str, person: Any
) -> OutboundMessage:
    from paraph.notifications.tasks import deliver_message

    message = OutboundMessage.objects.create(
        channel=channel, to=to, template=template, language=language, person=person
    )
    sealed = seal(context)
    transaction.on_commit(lambda: deliver_message.enqueue(message.pk, sealed))
    return message


def email_send(
    *, to: str, template: str, context: dict[str, Any], language: str, person: Any = None
) -> OutboundMessage:
    """Queue the e-mail rendered from ``notifications/email/<template>*``
    in ``language``. ``context`` may hold secrets (codes, link tokens): it
    travels sealed and is never stored in clear. Values must be JSON-able."""
    return _queue(
        channel=Channel.EMAIL,
        to=to,
        template=template,
        context=context,
        language=language,
        person=person,
    )


def sms_send(
    *, to: str, template: str, context: dict[str, Any], language: str, person: Any = None
) -> OutboundMessage:
    """Queue the SMS rendered from ``notifications/sms/<template>.txt``."""
    return _queue(
        channel=Channel.SMS,
        to=to,
        template=template,
        context=context,
        language=language,
        person=person,
    )
