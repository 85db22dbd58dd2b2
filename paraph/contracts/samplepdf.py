"""The demo data's contract and the benchmarks', typeset like every legal
document (:mod:`paraph.core.typesetting`); and the assembly of a PDF file
from hand-written objects (``pdf_file``, ``escape_string``), which the
adminbox's placeholder image and the tests' deliberately odd PDFs use."""

from __future__ import annotations

from paraph.core.typesetting import pdf_typeset


def escape_string(raw: bytes) -> bytes:
    """``raw`` (cp1252 bytes) ready to sit between a PDF string's brackets."""
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1; object 1 is the catalogue)
    with its cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def sample_contract_pdf(*, title: str, lines: list[str], language: str = "fr") -> bytes:
    """A PDF/A-3b with ``title`` and ``lines`` below it, one paragraph each
    (written in ``language``), on as many A4 pages as they take."""
    return pdf_typeset(
        template="contracts/pdf/sample_contract.html",
        context={"title": title, "lines": lines},
        language=language,
        footer="{page}/{pages}",
    )
