"""Hostile PDFs, made the way real-world files go wrong: damage to a signed
PDF that the engine made (a stream cut short, a field name with a period,
a CMS that is garbage or badly encoded), and hand-made documents whose page
tree loops back on itself or names an object the file does not hold."""

from __future__ import annotations

import re
import zlib

from asn1crypto import cms

from paraph.contracts.samplepdf import pdf_file


def _page_content(n: int) -> bytes:
    text = b"BT /F1 14 Tf 72 770 Td (Contract - page %d) Tj ET" % n
    content = zlib.compress(text)
    return (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"
    )


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def _page(parent: int, content: int, font: int, extra: bytes = b"") -> bytes:
    return (
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R%s >>"
        % (parent, font, content, extra)
    )


def page_tree_cycle() -> bytes:
    """Two pages; the second sits under an intermediate /Pages node whose
    /Kids names its own parent again: a walk of the tree never ends."""
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            _page(2, 7, 6),
            b"<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 2 0 R] /Count 1 >>",
            _page(4, 8, 6),
            _FONT,
            _page_content(1),
            _page_content(2),
        ]
    )


def page_tree_missing_object() -> bytes:
    """Two pages announced; the second is object 99, which the file does not
    hold (its cross-reference table ends at object 5)."""
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 99 0 R] /Count 2 >>",
            _page(2, 4, 5),
            _page_content(1),
            _FONT,
        ]
    )


def annotation_missing_object(missing: int = 99) -> bytes:
    """A sound page tree of two pages, but the first page's annotation list
    names object ``missing``, which the file does not hold: a strict reader
    refuses it, a lenient one reads a null there (what ISO 32000 says a
    missing object is). A signature on the last page is made without
    reading it. Later revisions number their objects from 8 on."""
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            _page(2, 5, 7, b" /Annots [%d 0 R]" % missing),
            _page(2, 6, 7),
            _page_content(1),
            _page_content(2),
            _FONT,
        ]
    )


def cut_endstream(signed: bytes) -> bytes:
    """The first stream's ``endstream`` keyword damaged (same length, so
    every offset stays right): the stream never ends for a reader."""
    at = signed.index(b"endstream")
    return signed[:at] + b"endstreaX" + signed[at + len(b"endstream") :]


def period_in_field_name(signed: bytes, field: str) -> bytes:
    """The signature field ``field`` renamed with a period in its partial
    name (same length), which ISO 32000 forbids."""
    old = b"/T (" + field.encode() + b")"
    assert old in signed, f"no field {field!r} in the document"
    new_name = field[:-2] + "." + field[-1]
    return signed.replace(old, b"/T (" + new_name.encode() + b")")


_CONTENTS = re.compile(rb"/Contents\s*<([0-9a-fA-F]+)>")


def _replace_cms(signed: bytes, der: bytes, index: int = 0) -> bytes:
    match = list(_CONTENTS.finditer(signed))[index]
    room = len(match.group(1))
    hexed = der.hex().encode()
    assert len(hexed) <= room, "the new CMS does not fit in the reserved space"
    return signed[: match.start(1)] + hexed.ljust(room, b"0") + signed[match.end(1) :]


def signature_cms(signed: bytes, index: int = 0) -> bytes:
    """The DER of the ``index``-th signature's CMS (padding removed)."""
    match = list(_CONTENTS.finditer(signed))[index]
    raw = bytes.fromhex(match.group(1).decode())
    return cms.ContentInfo.load(raw).dump()


def garbage_cms(signed: bytes) -> bytes:
    """The signature's /Contents replaced by DER that is no CMS at all."""
    return _replace_cms(signed, b"\x30\x82\x01\x00" + b"\xa5" * 256)


def retagged_signed_attributes(signed: bytes) -> bytes:
    """The signature's CMS with its signed attributes tagged as a primitive
    where a constructed SET belongs: the outer structure parses, the
    attributes do not."""
    info = cms.ContentInfo.load(signature_cms(signed))
    der = bytearray(info.dump())
    attrs = info["content"]["signer_infos"][0]["signed_attrs"].dump()
    der[bytes(der).index(attrs)] = 0x80
    return _replace_cms(signed, bytes(der))


_SHA256_RSA = bytes.fromhex("2a864886f70d01010b")  # the OIDs' contents: 9 bytes each
_SHA3_256_ECDSA = bytes.fromhex("60864801650304030a")


def mismatched_signature_algorithm(signed: bytes) -> bytes:
    """The signature's CMS, well-formed DER, claiming an ECDSA signature where
    the signer's key is RSA (the OID swapped in place, lengths unchanged)."""
    der = signature_cms(signed)
    signer = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    attrs, algorithm = signer["signed_attrs"].dump(), signer["signature_algorithm"].dump()
    at = der.index(attrs) + len(attrs)  # the signature algorithm follows the attributes
    assert der[at : at + len(algorithm)] == algorithm and _SHA256_RSA in algorithm
    swapped = algorithm.replace(_SHA256_RSA, _SHA3_256_ECDSA)
    return _replace_cms(signed, der[:at] + swapped + der[at + len(algorithm) :])
