"""The mandate as a one-page PDF in the person's language: who, what they
authorise, for how long, and how to end it. Written with the project's
own small PDF writer (:mod:`paraph.contracts.samplepdf`); lines are fitted
to the page with the Helvetica metrics of :mod:`paraph.signing.stamplayout`."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, translation
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.contracts.samplepdf import sample_contract_pdf
from paraph.signing.appearance import BRUSSELS
from paraph.signing.stamplayout import text_width, to_winansi

TEXT_WIDTH = 451.0  # A4 less two 72-point margins
FONT_SIZE = 11.0
MAX_LINES = 36  # leaves the bottom of the page free for the seal


def _wrap(paragraph: str) -> list[str]:
    """``paragraph`` cut into lines that fit the page's width."""
    lines: list[str] = []
    current = ""
    for word in paragraph.split():
        candidate = f"{current} {word}".strip()
        if current and text_width(to_winansi(candidate), FONT_SIZE, bold=False) > TEXT_WIDTH:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def mandate_text(
    *, person: Person, reference: str, created_at: datetime, language: str
) -> tuple[str, list[str]]:
    """The title and the paragraphs of the mandate, in ``language``."""
    with translation.override(language):
        day = formats.date_format(created_at.astimezone(BRUSSELS), "DATE_FORMAT")
        title = gettext("Mandate no. %(reference)s") % {"reference": reference}
        who = gettext("I, %(name)s (e-mail address %(email)s%(national)s),") % {
            "name": person.get_full_name(),
            "email": person.email,
            "national": (
                gettext(", national register number %(number)s")
                % {"number": person.national_number}
                if person.national_number
                else ""
            ),
        }
        paragraphs = [
            gettext("Mandate for signing documents with a password in Paraph"),
            who,
            gettext(
                "authorise Paraph to sign, in my name, the documents that I myself choose to "
                "sign in my Paraph adminbox, with a signing key and certificate issued to me "
                "and protected by a password that only I know."
            ),
            gettext(
                "Paraph signs a document only when I type this password for it. Paraph does "
                "not know the password and cannot sign without it. Each signature shows my "
                "name and the number of this mandate."
            ),
            gettext(
                "This mandate takes effect when I choose my password and confirm the mandate "
                "with it, and lasts one year from then. Paraph reminds me 30 and 7 days "
                "before it ends. I can renew it, or revoke it, at any time in my adminbox; "
                "the key then stops working at once. I can always sign with my eID card "
                "instead."
            ),
            gettext("Drawn up on %(date)s.") % {"date": day},
        ]
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(_wrap(paragraph))
        lines.append("")
    return title, lines[:MAX_LINES]


def mandate_pdf(*, person: Person, reference: str, created_at: datetime, language: str) -> bytes:
    """The mandate's PDF, ready to be signed."""
    title, lines = mandate_text(
        person=person, reference=reference, created_at=created_at, language=language
    )
    return sample_contract_pdf(title=title, lines=lines)
