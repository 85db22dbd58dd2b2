"""Time to typeset the legal PDFs: the mandate and the evidence report.

    .venv/bin/python bench/legal_pdfs.py [--documents 30] [--steps 80]

Runs on the embedded default (SQLite in a throw-away data folder, set up as
``bench/dispatch.py`` does) and measures, as the median of ``--documents``
runs after a warm-up:

- the first document of a process (WeasyPrint imported, its font
  configuration made, Paraph's fonts read), once;
- ``mandate_pdf`` (one page), against the hand-made PDF writer that wrote
  the mandate before WeasyPrint (kept below, in this file only: Helvetica,
  WinAnsi, 36 lines at most), on the same words;
- ``evidence_pdf_render`` for a contract with 4 events (2 pages) and with
  ``--steps`` more (a long report), each against rendering the same
  template to an HTML string (what Django alone costs);
- ``contract_evidence_pdf`` (typeset, sealed by Paraph, download audited)
  for the short report, for reference.

Ends with ``ratio_mandate_vs_handmade=<x>`` and
``ratio_evidence_vs_html=<x>`` (the short report): how many times slower
typesetting is than what it replaced or wraps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch import _setup


def _median_ms(make: Callable[[], object], runs: int) -> float:
    make()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        make()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


# --- The hand-made writer the mandate used before WeasyPrint (the baseline) ---


def _handmade_mandate(title: str, paragraphs: list[str]) -> bytes:
    from paraph.contracts.samplepdf import escape_string, pdf_file
    from paraph.signing.stamplayout import text_width, to_winansi

    lines: list[str] = []
    for paragraph in paragraphs:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if current and text_width(to_winansi(candidate), 11.0, bold=False) > 451.0:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
        lines.append("")
    content = [b"BT /F2 16 Tf 72 770 Td (" + escape_string(to_winansi(title)) + b") Tj ET"]
    y = 735
    for line in lines[:36]:
        content.append(
            b"BT /F1 11 Tf 72 %d Td (" % y + escape_string(to_winansi(line)) + b") Tj ET"
        )
        y -= 16
    stream = zlib.compress(b"\n".join(content))
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
            b"/Encoding /WinAnsiEncoding >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--steps", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paraph-bench-") as data_dir:
        _setup(data_dir)
        import pypdfium2
        from django.utils import timezone

        from paraph.accounts.models import Person
        from paraph.contracts.evidence import (
            TEMPLATE,
            contract_evidence_pdf,
            evidence_context,
            evidence_pdf_render,
        )
        from paraph.contracts.services import (
            ContractData,
            RecipientData,
            contract_create,
            contract_evidence_add,
        )
        from paraph.core.typesetting import html_typeset
        from paraph.mandates.document import mandate_pdf, mandate_text
        from paraph.senders.services import sender_create
        from paraph.signing.tests.pdfs import contract_pdf

        now = timezone.now()
        person = Person.objects.create_user(
            "lukasz@bench.example",
            first_name="Łukasz",
            last_name="Żółć",
            phone="+32470000001",
            language="fr",
            national_number="85073003328",
        )
        mandate = {
            "person": person,
            "reference": "M-2026-000042",
            "created_at": now,
            "language": "fr",
        }

        began = time.perf_counter()
        mandate_pdf(**mandate)
        first_ms = (time.perf_counter() - began) * 1000
        print(f"first document of the process (WeasyPrint, fonts): {first_ms:.0f} ms")

        mandate_ms = _median_ms(lambda: mandate_pdf(**mandate), args.documents)
        title, paragraphs = mandate_text(**mandate)
        handmade = _median_ms(lambda: _handmade_mandate(title, paragraphs), args.documents)
        print(f"mandate_pdf (WeasyPrint, PDF/A-3b): {mandate_ms:7.1f} ms")
        print(f"mandate, hand-made writer:          {handmade:7.1f} ms")

        sender = sender_create(
            name="Intérim Bench", enterprise_number="0123456749", contact_email="hr@bench.example"
        )
        contract = contract_create(
            sender=sender,
            data=ContractData(
                title="Contrat de travail intérimaire",
                recipient=RecipientData(
                    first_name="Łukasz",
                    last_name="Żółć",
                    email=person.email,
                    phone=person.phone,
                ),
                start_of_work=now + dt.timedelta(days=3),
                external_reference="B-0001",
            ),
            pdf=contract_pdf(pages=2, title="Contrat"),
            actor=None,
        )
        from paraph.core.context import Context

        context = Context(ip="203.0.113.7", user_agent="Mozilla/5.0 (X11; Linux x86_64)")
        contract_evidence_add(
            contract=contract, step="code_sent", person=person, data={"channel": "sms"}
        )
        contract_evidence_add(contract=contract, step="code_verified", person=person)

        def figures(label: str) -> float:
            context = evidence_context(contract=contract, language="fr")
            pages = len(
                pypdfium2.PdfDocument(evidence_pdf_render(contract=contract, language="fr"))
            )
            typeset = _median_ms(
                lambda: evidence_pdf_render(contract=contract, language="fr"), args.documents
            )
            html = _median_ms(
                lambda: html_typeset(
                    template=TEMPLATE,
                    context=evidence_context(contract=contract, language="fr"),
                    language="fr",
                    footer=context["footer"],
                ),
                args.documents,
            )
            print(
                f"evidence, {label} ({len(context['events'])} events, {pages} pages): "
                f"typeset {typeset:.1f} ms, HTML string {html:.1f} ms, x{typeset / html:.1f}"
            )
            return typeset / html

        ratio_evidence = figures("short")
        sealed = _median_ms(
            lambda: contract_evidence_pdf(contract=contract, language="fr"), args.documents
        )
        print(f"evidence, short, typeset + sealed + audited: {sealed:.1f} ms")
        for step in range(args.steps):
            contract_evidence_add(
                contract=contract,
                step="code_sent",
                person=person,
                data={"channel": "sms", "attempt": step},
                context=context,
            )
        figures("long")

        print(f"ratio_mandate_vs_handmade={mandate_ms / handmade:.1f}")
        print(f"ratio_evidence_vs_html={ratio_evidence:.1f}")


if __name__ == "__main__":
    main()
