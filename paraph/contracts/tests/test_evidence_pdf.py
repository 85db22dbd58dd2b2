"""The evidence report as a typeset document (issue 9): every event on as
many pages as it takes, names in any European script exactly as the sender
gave them, the reader's language, PDF/A-3b with its fonts embedded, and
still sealed so that a validator accepts it. What it says is tested with
its downloads in paraph/adminbox/tests/test_evidence.py."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from paraph.contracts.evidence import contract_evidence_pdf, evidence_pdf_render
from paraph.contracts.selectors import contract_evidence
from paraph.contracts.services import contract_evidence_add
from paraph.core.context import Context
from paraph.core.tests.typeset import (
    assert_typeset_for_archiving,
    pdf_fonts,
    pdf_last_page_text,
    pdf_pages,
    pdf_text,
    pdfa_claim,
    qpdf_problems,
)
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db

# One name per script the old writer could not print (it wrote "Lukasz
# Zólc" or question marks), each with one of the four languages.
NAMES = [
    ("Łukasz", "Żółć", "Łukasz Żółć", "fr"),
    ("Mette", "Ørsted", "Ørsted", "nl"),
    ("Ğülşen", "Öztürk", "Ğülşen", "de"),
    ("Άννα", "Παπαδοπούλου", "Άννα", "en"),
]


@pytest.mark.parametrize(("first", "last", "shown", "language"), NAMES)
def test_names_in_any_european_script_are_printed_exactly(
    make_contract, clock, first, last, shown, language
):
    contract = make_contract(
        recipient={"first_name": first, "last_name": last, "email": "worker@example.eu"}
    )

    text = pdf_text(evidence_pdf_render(contract=contract, language=language))

    assert shown in text
    assert f"{first} {last}" in text


@pytest.mark.parametrize(
    ("language", "title", "footer"),
    [
        ("en", "Evidence of a contract signed online", "page {page} of {pages}"),
        ("fr", "Preuve d'un contrat signé en ligne", "page {page} sur {pages}"),
        ("nl", "Bewijs van een online ondertekend contract", "pagina {page} van {pages}"),
        ("de", "Nachweis eines online unterzeichneten Vertrags", "Seite {page} von {pages}"),
    ],
)
def test_the_report_is_written_in_the_readers_language_with_numbered_pages(
    make_contract, clock, language, title, footer
):
    contract = make_contract()

    pdf = evidence_pdf_render(contract=contract, language=language)

    text = pdf_text(pdf)
    pages = pdf_pages(pdf)
    assert title in text
    assert footer.format(page=1, pages=pages) in text
    last_page = pdf_last_page_text(pdf)
    assert footer.format(page=pages, pages=pages) in last_page
    assert str(contract.public_id) in last_page


def test_a_long_report_breaks_onto_more_pages_and_nothing_is_cut(
    make_contract, person_factory, clock
):
    """The old report stopped, silently, where its pages ended. Eighty
    steps, each with a browser name longer than a line, all make it to
    the PDF, and the last page ends with the last audit event and the
    closing sentence."""
    person = person_factory(first_name="Łukasz", last_name="Żółć", email="lukasz@example.pl")
    contract = make_contract(
        title="Contrat de travail intérimaire " + "avec une clause très longue " * 6,
        recipient={"first_name": "Łukasz", "last_name": "Żółć", "email": "lukasz@example.pl"},
    )
    word = "0123456789" * 25  # longer than a line; Paraph keeps 300 characters of a browser
    browser = f"Mozilla/5.0 (LongBrowser) {word}"
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=browser)
    for attempt in range(80):
        contract_evidence_add(
            contract=contract,
            step="code_sent",
            person=person,
            data={"channel": "sms", "attempt": attempt},
            context=Context.from_request(request),
        )

    pdf = evidence_pdf_render(contract=contract, language="en")

    pages = pdf_pages(pdf)
    assert pages >= 4
    text = pdf_text(pdf)
    assert text.count("One-time code sent") == 80
    assert "attempt=0" in text and "attempt=79" in text
    # every browser name whole, cut into lines (which pdftotext reads as spaces)
    assert text.replace(" ", "").count(word) == 80
    assert contract.title in text
    last_page = pdf_last_page_text(pdf)
    assert contract_evidence(contract=contract)["audit_chain"][-1]["hash"] in last_page
    assert "any change to it breaks the seal" in last_page
    assert f"page {pages} of {pages}" in last_page
    assert_typeset_for_archiving(pdf)


def test_the_sealed_report_stays_valid_and_clean(make_contract, clock):
    contract = make_contract(
        recipient={"first_name": "Άννα", "last_name": "Ørsted", "email": "anna@example.eu"}
    )

    pdf = contract_evidence_pdf(contract=contract, language="de")

    report = signature_report(pdf)
    assert report.valid
    (seal,) = report.signed
    assert seal.certification == "no_changes"
    assert "Άννα Ørsted" in pdf_text(pdf)
    assert pdfa_claim(pdf) == ("3", "B") and qpdf_problems(pdf) == ""
    # Every font embedded, the seal's stamp's too (the report says PDF/A).
    assert [font.name for font in pdf_fonts(pdf) if not font.embedded] == []


def test_the_report_carries_its_events_proofs_in_the_sealed_audit_checkpoint(make_contract):
    from paraph.audit import merkle
    from paraph.audit.services import audit_checkpoint

    contract = make_contract()
    before = pdf_text(evidence_pdf_render(contract=contract, language="en"))
    checkpoint = audit_checkpoint()
    assert checkpoint is not None

    text = pdf_text(evidence_pdf_render(contract=contract, language="en"))

    assert "No sealed checkpoint covers these events yet" in before
    flat = "".join(text.split())
    assert checkpoint.root in flat, "the sealed root, whole"
    proof = contract_evidence(contract=contract)["audit_proof"]["events"][0]
    assert f"place {proof['place']}:" in text
    assert all(step in flat for step in proof["proof"]["path"])
    assert merkle.inclusion_holds(
        bytes.fromhex(proof["leaf_hash"]), bytes.fromhex(checkpoint.root), proof["proof"]
    )
