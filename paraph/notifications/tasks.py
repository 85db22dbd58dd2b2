"""Delivering queued messages (runs in the task worker)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django_tasks import task

from paraph.core.sealing import unseal
from paraph.notifications.models import Channel, OutboundMessage
from paraph.notifications.providers import SmsDeliveryError, get_sms_gateway
from paraph.notifications.rendering import render_email, render_sms

logger = logging.getLogger(__name__)


@task(queue_name="notifications")
def deliver_message(message_id: int, sealed_context: str) -> str:
    message = OutboundMessage.objects.get(pk=message_id)
    if message.status == OutboundMessage.Status.SENT:
        return "already sent"
    context = unseal(sealed_context)
    message.attempts += 1
    try:
        if message.channel == Channel.EMAIL:
            rendered = render_email(message.template, context, message.language)
            email = EmailMultiAlternatives(
                subject=rendered.subject,
                body=rendered.text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[message.to],
            )
            email.attach_alternative(rendered.html, "text/html")
            email.send()
            message.subject = rendered.subject[:300]
        else:
            text = render_sms(message.template, context, message.language)
            get_sms_gateway().send(to=message.to, text=text)
    except (OSError, SmsDeliveryError) as exc:
        message.status = OutboundMessage.Status.FAILED
        message.error = f"{type(exc).__name__}: {exc}"[:300]
        message.save(update_fields=["status", "error", "attempts"])
        logger.warning("message %s to %s failed: %s", message.pk, message.channel, message.error)
        raise
    message.status = OutboundMessage.Status.SENT
    message.sent_at = timezone.now()
    message.error = ""
    message.save(update_fields=["status", "sent_at", "error", "attempts", "subject"])
    return "sent"
