from django.conf import settings

from paraph.notifications.addresses import phone_e164
from paraph.notifications.models import Channel, SandboxMessage


class SandboxSmsGateway:
    """Keeps every SMS in the database for the sandbox inbox page; the
    number is kept in E.164 so the page finds it however it is typed."""

    def send(self, *, to: str, text: str, reference: str = "") -> str:
        message = SandboxMessage.objects.create(
            channel=Channel.SMS,
            to=phone_e164(to) or to,
            sender=settings.SMS_SENDER,
            body_text=text,
        )
        return f"sandbox-{message.pk}"
