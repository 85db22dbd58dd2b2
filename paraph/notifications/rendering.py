"""Rendering a message from its templates in the recipient's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_email(template: str, context: dict[str, Any], language: str) -> Rendered:
    ctx = {"base_url": settings.BASE_URL, "contact_phone": settings.CONTACT_PHONE, **context}
    with translation.override(language):
        subject = render_to_string(f"notifications/email/{template}_subject.txt", ctx)
        text = render_to_string(f"notifications/email/{template}.txt", ctx)
        html = render_to_string(f"notifications/email/{template}.html", ctx)
    return Rendered(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


def render_sms(template: str, context: dict[str, Any], language: str) -> str:
    ctx = {"base_url": settings.BASE_URL, **context}
    with translation.override(language):
        return " ".join(render_to_string(f"notifications/sms/{template}.txt", ctx).split())
