"""Delivering queued messages (runs in the task worker)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django_tasks import task

from paraph.core.sealing import unseal
from paraph.notifications.models import Channel, OutboundMessage
from paraph.notifications.providers import SmsDeliveryError, get_sms_gateway
from paraph.notifications.rendering import render_email, render_sms
from paraph.notifications.services import (
    SmsNotAllowed,
    message_claim,
    message_record_failure,
    message_record_sent,
    sms_check_allowed,
)

# Failures that may pass: the SMTP server or the gateway is down or busy
# (smtplib's errors are OSErrors). Anything else will fail the same way again.
TRANSIENT_ERRORS = (OSError, SmsDeliveryError)


def _deliver(message: OutboundMessage, context: dict[str, object]) -> tuple[str, str, str]:
    """Render and hand over one message; returns (subject, text, provider id)."""
    if message.channel == Channel.EMAIL:
        rendered = render_email(message.template, context, message.language)
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            # The same Message-ID at every attempt: a copy sent again after a
            # worker died mid-send is recognisable as the same mail.
            headers={"Content-Language": message.language, "Message-ID": message.message_id_header},
        )
        email.attach_alternative(rendered.html, "text/html")
        email.send()
        return rendered.subject, rendered.text, ""
    # Consent may have been withdrawn, or the phone changed, since it was queued.
    sms_check_allowed(person=message.person, to=message.to, purpose=message.purpose)
    text = render_sms(message.template, context, message.language)
    provider_id = get_sms_gateway().send(
        to=message.to,
        text=text,
        reference=f"paraph-sms-{message.pk}-{message.created_at:%Y%m%d%H%M%S}",
    )
    return "", text, provider_id or ""


@task(queue_name="notifications")
def deliver_message(message_id: int, sealed_context: str = "") -> str:
    """One delivery attempt. Does nothing for a message that was already
    sent, given up, or is in the hands of a live worker, so a task that runs
    twice never sends twice. The context is read from the row
    (``sealed_context`` is only for tasks queued by an older version)."""
    message = message_claim(message_id=message_id)
    if message is None:
        return "skipped"
    try:
        context = unseal(message.sealed_context or sealed_context)
        subject, text, provider_id = _deliver(message, context)
    except TRANSIENT_ERRORS as exc:
        message = message_record_failure(message=message, error=f"{type(exc).__name__}: {exc}")
        return "retry" if message.status == OutboundMessage.Status.QUEUED else "failed"
    except SmsNotAllowed as exc:
        message_record_failure(message=message, error=f"refused: {exc}", permanent=True)
        return "refused"
    except Exception as exc:
        # A broken template or context: retrying would fail the same way. The
        # exception's text may quote the context (a code), so only its type is kept.
        message_record_failure(message=message, error=type(exc).__name__, permanent=True)
        raise
    message_record_sent(message=message, subject=subject, text=text, provider_id=provider_id)
    return "sent"
