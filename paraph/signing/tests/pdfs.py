"""Contract-like PDFs for the tests and the benchmark, written by hand (no
PDF library), so pyHanko reads a document it did not write itself."""

from __future__ import annotations

import os
import zlib

_TEXT = (
    "Contrat de travail interimaire - Uitzendarbeidsovereenkomst",
    "Entre l'entreprise de travail interimaire Paraph Interim SA (BCE 0123.456.749)",
    "et l'interimaire ci-dessous, il est convenu ce qui suit.",
    "Article 1. L'interimaire est mis a la disposition de l'utilisateur.",
    "Article 2. La remuneration horaire brute s'eleve a 16,50 EUR.",
    "Article 3. Le present contrat est signe au plus tard au debut du travail.",
)


def contract_pdf(*, pages: int = 3, extra_bytes: int = 0, title: str = "Contract") -> bytes:
    """A PDF of ``pages`` text pages; ``extra_bytes`` of incompressible data
    (a grey image on the last page) make it as large as a scanned annex."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled below
    pages_obj = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    image = 0
    if extra_bytes:
        side = max(1, int((extra_bytes) ** 0.5))
        data = os.urandom(side * side)
        image = add(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length %d >>\nstream\n"
            % (side, side, len(data))
            + data
            + b"\nendstream"
        )
    kids = []
    for n in range(1, pages + 1):
        lines = [b"BT /F1 16 Tf 72 770 Td (%s - page %d) Tj ET" % (title.encode("latin-1"), n)]
        y = 730
        for _repeat in range(6):
            for line in _TEXT:
                lines.append(b"BT /F1 10 Tf 72 %d Td (%s) Tj ET" % (y, line.encode("latin-1")))
                y -= 14
        if image and n == pages:
            lines.append(b"q 200 0 0 200 72 72 cm /Im1 Do Q")
        content = zlib.compress(b"\n".join(lines))
        stream = add(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
            + content
            + b"\nendstream"
        )
        resources = b"<< /Font << /F1 %d 0 R >>" % font
        if image and n == pages:
            resources += b" /XObject << /Im1 %d 0 R >>" % image
        resources += b" >>"
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>"
                % (pages_obj, resources, stream)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)
