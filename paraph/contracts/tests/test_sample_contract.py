"""The demo data's contract (``paraph demo``) and the benchmarks' is typeset
like every legal document: its French as written, as many pages as its
articles take, PDF/A-3b with its fonts embedded, and a contract made from it
is sealed by Paraph as any upload."""

from __future__ import annotations

import pytest

from paraph.contracts.samplepdf import sample_contract_pdf
from paraph.core.tests.typeset import (
    assert_typeset_for_archiving,
    pdf_last_page_text,
    pdf_pages,
    pdf_text,
)
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db

ARTICLES = [
    f"Article {n}. Le travailleur intérimaire « Łukasz Żółć » exécute la mission "
    f"décrite ci-dessous ; la rémunération horaire brute est de 16,50 € — clause {n}."
    for n in range(1, 61)
]


def test_every_article_is_printed_on_as_many_pages_as_it_takes():
    pdf = sample_contract_pdf(title="Contrat de travail intérimaire — Magasinier", lines=ARTICLES)

    pages = pdf_pages(pdf)
    assert pages >= 2
    text = pdf_text(pdf)
    assert "Contrat de travail intérimaire — Magasinier" in text
    assert all(article in text for article in ARTICLES)
    last_page = pdf_last_page_text(pdf)
    assert ARTICLES[-1] in last_page and f"{pages}/{pages}" in last_page
    assert_typeset_for_archiving(pdf)


def test_a_contract_made_from_it_is_sealed_as_any_upload(make_contract, clock):
    pdf = sample_contract_pdf(title="Contrat de travail intérimaire", lines=ARTICLES[:5])

    contract = make_contract(pdf_bytes=pdf)

    assert contract.status == "sent" and contract.sealed
    with contract.document_pdf.open("rb") as handle:
        sealed = handle.read()
    assert signature_report(sealed).valid
    assert ARTICLES[4] in pdf_text(sealed)
