"""Rendering a message from its templates in the recipient's language.

E-mails have three templates under ``notifications/email/``:
``<name>_subject.txt``, ``<name>.txt`` and ``<name>.html``; the last two
extend ``base.txt`` / ``base.html`` (header, footer with the contact
centre's phone and hours, the date it was sent). An SMS has one,
``notifications/sms/<name>.txt``. Text templates are rendered without
HTML escaping (an ``&`` stays an ``&``); the HTML part is escaped as
every Django page is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone, translation

from paraph.core.hours import opening_hours


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _render_text(name: str, context: dict[str, Any]) -> str:
    """A text template, without HTML escaping (mail text parts, SMS)."""
    template = Engine.get_default().get_template(name)
    return template.render(Context(context, autoescape=False))


def _base_context(language: str) -> dict[str, Any]:
    """What every message may use; call inside ``translation.override``."""
    return {
        "base_url": settings.BASE_URL,
        "platform_name": str(settings.PLATFORM_NAME),
        "contact_phone": settings.CONTACT_PHONE,
        "contact_hours": opening_hours().text(),
        "language": language,
        "sent_at": timezone.localtime(),
    }


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_email(template: str, context: dict[str, Any], language: str) -> Rendered:
    """Subject, text part and HTML part of ``notifications/email/<template>``
    in ``language``. The caller's context wins over the base values."""
    with translation.override(language):
        ctx = {**_base_context(language), **context}
        subject = " ".join(_render_text(f"notifications/email/{template}_subject.txt", ctx).split())
        ctx["subject"] = subject
        text = _render_text(f"notifications/email/{template}.txt", ctx)
        html = render_to_string(f"notifications/email/{template}.html", ctx)
    return Rendered(subject=subject, text=_tidy_text(text), html=html)


def render_sms(template: str, context: dict[str, Any], language: str) -> str:
    """The one-line text of ``notifications/sms/<template>.txt`` in ``language``."""
    with translation.override(language):
        ctx = {**_base_context(language), **context}
        return " ".join(_render_text(f"notifications/sms/{template}.txt", ctx).split())
