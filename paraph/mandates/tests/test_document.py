"""The mandate's PDF as a typeset document (issue 9): the person's name in
any European script exactly as it is, the mandate's words in the person's
language on numbered pages, nothing cut however long a name or address is,
PDF/A-3b with its fonts embedded, and still valid once Paraph seals it."""

from __future__ import annotations

import pytest

from paraph.contracts.tests.fixtures import T0
from paraph.core.tests.typeset import (
    assert_typeset_for_archiving,
    pdf_fonts,
    pdf_last_page_text,
    pdf_pages,
    pdf_text,
    pdfa_claim,
    qpdf_problems,
)
from paraph.mandates.document import mandate_pdf
from paraph.mandates.selectors import mandate_pdf_checked
from paraph.mandates.tests.conftest import verified
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db

REFERENCE = "M-2026-000042"


@pytest.mark.parametrize(
    ("first", "last", "language", "words", "footer"),
    [
        ("Łukasz", "Żółć", "fr", "Établi le 1 décembre 2026.", "page 1 sur 1"),
        ("Mette", "Ørsted", "nl", "Opgesteld op 1 december 2026.", "pagina 1 van 1"),
        ("Ğülşen", "Öztürk", "de", "Erstellt am 1. Dezember 2026.", "Seite 1 von 1"),
        ("Άννα", "Παπαδοπούλου", "en", "Drawn up on Dec. 1, 2026.", "page 1 of 1"),
    ],
)
def test_the_persons_name_is_printed_exactly_in_their_language(
    person_factory, first, last, language, words, footer
):
    person = person_factory(
        first_name=first, last_name=last, language=language, national_number="85073003328"
    )

    pdf = mandate_pdf(person=person, reference=REFERENCE, created_at=T0, language=language)

    text = pdf_text(pdf)
    assert f"{first} {last}" in text
    assert REFERENCE in text and "85073003328" in text and person.email in text
    assert words in text
    assert f"{REFERENCE} - {footer}" in text
    assert_typeset_for_archiving(pdf)


def test_a_very_long_name_and_address_lose_nothing(person_factory):
    """The old mandate kept its first 36 lines and dropped the rest."""
    first = " ".join(["Marie Christine"] * 9)
    last = " ".join(["Van den Bossche Żółć"] * 7)
    email = f"{'marie.christine.van.den.bossche' * 3}@{'example' * 4}.be"
    person = person_factory(first_name=first, last_name=last, email=email, language="en")

    pdf = mandate_pdf(person=person, reference=REFERENCE, created_at=T0, language="en")

    text = pdf_text(pdf)
    assert f"{first} {last}" in text
    # An address longer than a line is cut into lines (read as spaces).
    assert email in text.replace(" ", "")
    pages = pdf_pages(pdf)
    last_page = pdf_last_page_text(pdf)
    assert "Drawn up on Dec. 1, 2026." in last_page
    assert f"page {pages} of {pages}" in last_page


def test_the_sealed_mandate_stays_valid_and_clean(person_factory, mandate_for, clock):
    person = verified(person_factory(first_name="Łukasz", last_name="Żółć", language="fr"))

    mandate = mandate_for(person)

    sealed = mandate_pdf_checked(mandate, signed=True)
    assert signature_report(sealed).valid
    assert "Łukasz Żółć" in pdf_text(sealed)
    assert pdfa_claim(sealed) == ("3", "B") and qpdf_problems(sealed) == ""
    # Every font embedded, the seal's stamp's too (the mandate says PDF/A).
    assert [font.name for font in pdf_fonts(sealed) if not font.embedded] == []
