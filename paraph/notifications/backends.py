"""The sandbox e-mail backend: "delivers" to the sandbox inbox page."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives

from paraph.notifications.models import Channel, SandboxMessage


class SandboxEmailBackend(BaseEmailBackend):
    """Keeps each e-mail, once per recipient, with its text and HTML parts."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        count = 0
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                for content, mimetype in message.alternatives:
                    if mimetype == "text/html":
                        html = str(content)
            for recipient in message.recipients():
                SandboxMessage.objects.create(
                    channel=Channel.EMAIL,
                    to=(parseaddr(recipient)[1] or recipient).lower(),
                    sender=message.from_email,
                    subject=str(message.subject),
                    body_text=str(message.body),
                    body_html=html,
                )
            count += 1
        return count
