from django.conf import settings

from paraph.notifications.models import Channel, SandboxMessage


class SandboxSmsGateway:
    """Keeps every SMS in the database for the sandbox inbox page."""

    def send(self, *, to: str, text: str) -> str:
        message = SandboxMessage.objects.create(
            channel=Channel.SMS, to=to, sender=settings.SMS_SENDER, body_text=text
        )
        return f"sandbox-{message.pk}"
