"""Reading the tests' PDFs and messages."""

from __future__ import annotations

from paraph.core.tests.typeset import pdf_text
from paraph.notifications.models import OutboundMessage

__all__ = ["pdf_text", "reminders_to"]


def reminders_to(email: str) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(to=email, template="mandate_reminder").order_by("id")
    )
