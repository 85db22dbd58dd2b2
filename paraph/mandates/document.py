"""The mandate as a PDF in the person's language: who, what they authorise,
for how long, and how to end it. The words are chosen here;
``mandates/pdf/mandate.html`` lays them out and
:mod:`paraph.core.typesetting` typesets them as a PDF/A-3b (one page, or
more when a long name or address needs it: nothing is cut)."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, translation
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.core.typesetting import pdf_typeset
from paraph.signing.appearance import BRUSSELS

TEMPLATE = "mandates/pdf/mandate.html"


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
    return title, paragraphs


def mandate_pdf(*, person: Person, reference: str, created_at: datetime, language: str) -> bytes:
    """The mandate's PDF/A-3b, ready to be signed: the signature or Paraph's
    seal goes at the foot of its last page."""
    title, paragraphs = mandate_text(
        person=person, reference=reference, created_at=created_at, language=language
    )
    with translation.override(language):
        footer = gettext("Paraph - mandate %(reference)s - page {page} of {pages}") % {
            "reference": reference
        }
    return pdf_typeset(
        template=TEMPLATE,
        context={
            "title": title,
            "subject": paragraphs[0],
            "paragraphs": paragraphs[1:-1],
            "drawn_up": paragraphs[-1],
        },
        language=language,
        footer=footer,
    )
