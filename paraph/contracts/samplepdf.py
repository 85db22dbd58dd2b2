"""A small, real PDF written by hand (no PDF library): the demo data's
contract, and the benchmark's. One A4 page of Helvetica text. The file
assembly (``pdf_file``) and string escaping also serve the evidence PDF."""

from __future__ import annotations

import zlib


def escape_string(raw: bytes) -> bytes:
    """``raw`` (cp1252 bytes) ready to sit between a PDF string's brackets."""
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _escape(text: str) -> bytes:
    return escape_string(text.encode("cp1252", errors="replace"))


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


def sample_contract_pdf(*, title: str, lines: list[str]) -> bytes:
    """A one-page PDF with ``title`` in bold and ``lines`` below it."""
    content = [b"BT /F2 16 Tf 72 770 Td (" + _escape(title) + b") Tj ET"]
    y = 735
    for line in lines:
        content.append(b"BT /F1 11 Tf 72 %d Td (" % y + _escape(line) + b") Tj ET")
        y -= 16
    stream = zlib.compress(b"\n".join(content))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return pdf_file(objects)
