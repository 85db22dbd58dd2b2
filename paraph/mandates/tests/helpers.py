"""Reading the tests' PDFs and messages."""

from __future__ import annotations

import re
import zlib

from paraph.notifications.models import OutboundMessage


def pdf_text(data: bytes) -> str:
    """The text drawn by a PDF written by paraph.contracts.samplepdf."""
    out = []
    for stream in re.findall(rb"stream\n(.*?)\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        out.extend(m.decode("cp1252") for m in re.findall(rb"\((.*?)\) Tj", content))
    return "\n".join(out).replace("\\(", "(").replace("\\)", ")")


def reminders_to(email: str) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(to=email, template="mandate_reminder").order_by("id")
    )
