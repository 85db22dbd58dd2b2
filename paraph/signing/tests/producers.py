"""Signed PDFs from three independent producers, and the ways an attacker
changes a signed PDF afterwards.

Producers (each signs the same contract with the same test certificate):

- pyHanko, as any pyHanko user signs (``signers.sign_pdf``);
- endesive, another Python signer with its own PDF writer and CMS code;
- OpenSSL: :func:`openssl_sign` writes the incremental update by hand (a
  signature dictionary with a reserved /Contents, the field, the catalogue
  and the page), computes the /ByteRange, has ``openssl cms -sign`` sign the
  bytes it covers and writes the DER in hexadecimal into the reserved space.

Attacks (:data:`ATTACKS`) take a signed PDF and return the changed one: an
incremental update that adds a page, replaces a page's content or lays an
annotation over it (shadow attacks), or an edit of the signed bytes
themselves (the /Reason, the /ByteRange, the signature value).
"""

from __future__ import annotations

import io
import re
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import cms
from cryptography import x509 as crypto_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

REASON = "Approved"  # every producer writes it; the /Reason attack changes it
CHANGED_REASON = "Rejected"  # same length: no offset moves


@dataclass(frozen=True)
class Signer:
    """A certificate, its key and its issuer chain, as files (PEM) for the
    command-line producer and as objects for the libraries."""

    key_path: Path
    cert_path: Path
    chain_paths: tuple[Path, ...]
    private_key: Any

    @property
    def certificate(self) -> crypto_x509.Certificate:
        return crypto_x509.load_pem_x509_certificate(self.cert_path.read_bytes())

    @property
    def chain(self) -> list[crypto_x509.Certificate]:
        return [crypto_x509.load_pem_x509_certificate(p.read_bytes()) for p in self.chain_paths]


# --- producers ---------------------------------------------------------------


def _pyhanko_signer(signer: Signer) -> Any:
    """pyHanko's own signer over the test key and certificate files."""
    from pyhanko.sign import signers

    loaded = signers.SimpleSigner.load(
        str(signer.key_path),
        str(signer.cert_path),
        ca_chain_files=[str(p) for p in signer.chain_paths],
    )
    assert loaded is not None
    return loaded


def pyhanko_sign(document: bytes, signer: Signer, *, certify: bool = False) -> bytes:
    """Signed (or certified, no changes allowed) with pyHanko's own signer."""
    from pyhanko.sign import fields, signers

    pyhanko_signer = _pyhanko_signer(signer)
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        reason=REASON,
        certify=certify,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(document), strict=False),
        meta,
        signer=pyhanko_signer,
    )
    return bytes(out.getbuffer())


def endesive_sign(document: bytes, signer: Signer, *, certify: bool = False) -> bytes:
    """Signed (or certified, no changes allowed: /P 1) with endesive, which
    returns the incremental update to append."""
    endesive_cms = _endesive_pdf_signer()
    when = datetime.now(tz=UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
    udct: dict[str, Any] = {
        "sigflags": 1 if certify else 3,  # also the DocMDP /P of a certification
        "sigandcertify": certify,
        "sigpage": 0,
        "sigfield": "Signature1",
        "auto_sigfield": True,
        "contact": "test@paraph.localhost",
        "location": "Brussels",
        "signingdate": when,
        "reason": REASON,
    }
    update = endesive_cms.sign(
        document, udct, signer.private_key, signer.certificate, signer.chain, "sha256"
    )
    return document + update


def _endesive_pdf_signer() -> Any:
    """endesive's PDF signer, ``endesive.pdf.cms``. Its package's
    ``__init__`` also imports endesive's verifier, whose oscrypto 1.3 cannot
    read the version string of OpenSSL 3.0.1x and raises
    LibraryNotFoundError: the package is registered without running it, and
    only the signer is imported (it needs pypdf, asn1crypto, cryptography)."""
    import importlib
    import importlib.util
    import sys

    if "endesive.pdf" not in sys.modules:
        spec = importlib.util.find_spec("endesive.pdf")
        assert spec is not None, "endesive is not installed (pip install -e '.[test]')"
        sys.modules["endesive.pdf"] = importlib.util.module_from_spec(spec)
    return importlib.import_module("endesive.pdf.cms")


_SIGNATURE_ROOM = 8192  # bytes of DER the /Contents placeholder holds
_BYTE_RANGE_ROOM = 40  # characters between the brackets of /ByteRange


def openssl_sign(document: bytes, signer: Signer, *, certify: bool = False, workdir: Path) -> bytes:
    """``document`` (one written by :func:`~paraph.signing.tests.pdfs.contract_pdf`:
    classic cross-reference table, no form yet) with a signature whose CMS
    ``openssl cms -sign`` makes over the byte ranges. The incremental update
    is written here, byte by byte: the signature dictionary (/SubFilter
    adbe.pkcs7.detached, with a DocMDP reference when ``certify``), an
    invisible signature field on the first page, and new versions of the
    catalogue and of that page."""
    trailer = _last_trailer(document)
    size, root = trailer["size"], trailer["root"]
    catalog = _object_body(document, root)
    assert b"/AcroForm" not in catalog, "openssl_sign signs a document without a form"
    first_page = _first_page(document, catalog)
    page_body = _object_body(document, first_page)
    sig_number, field_number = size, size + 1

    when = datetime.now(tz=UTC).strftime("D:%Y%m%d%H%M%S+00'00'").encode()
    reference = b""
    if certify:
        reference = (
            b" /Reference [<< /Type /SigRef /TransformMethod /DocMDP /DigestMethod /SHA256"
            b" /TransformParams << /Type /TransformParams /P 1 /V /1.2 >> >>]"
        )
    signature = (
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached"
        b" /ByteRange [" + b" " * _BYTE_RANGE_ROOM + b"]"
        b" /Contents <" + b"0" * (2 * _SIGNATURE_ROOM) + b">"
        b" /M ("
        + when
        + b") /Reason ("
        + REASON.encode()
        + b") /Name (OpenSSL test signer)"
        + reference
        + b" >>"
    )
    field = (
        b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /F 132"
        b" /Rect [0 0 0 0] /P %d 0 R /V %d 0 R >>" % (first_page, sig_number)
    )
    perms = b" /Perms << /DocMDP %d 0 R >>" % sig_number if certify else b""
    new_catalog = _dict_with(
        catalog, b" /AcroForm << /Fields [%d 0 R] /SigFlags 3 >>%s" % (field_number, perms)
    )
    assert b"/Annots" not in page_body, "openssl_sign expects a page without annotations"
    new_page = _dict_with(page_body, b" /Annots [%d 0 R]" % field_number)

    out = bytearray(document if document.endswith(b"\n") else document + b"\n")
    offsets: dict[int, int] = {}
    for number, body in (
        (root, new_catalog),
        (first_page, new_page),
        (sig_number, signature),
        (field_number, field),
    ):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for number in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        field_number + 1,
        root,
        trailer["startxref"],
        xref,
    )

    # The gap is the hexadecimal string with its angle brackets (ISO 32000-1, 12.8.1).
    contents_at = out.index(b"/Contents <", offsets[sig_number]) + len(b"/Contents ")
    gap_end = out.index(b">", contents_at) + 1
    ranges = b"0 %d %d %d" % (contents_at, gap_end, len(out) - gap_end)
    at = out.index(b"/ByteRange [", offsets[sig_number]) + len(b"/ByteRange [")
    out[at : at + _BYTE_RANGE_ROOM] = ranges.ljust(_BYTE_RANGE_ROOM)

    signed_bytes = workdir / "signed-bytes.bin"
    signed_bytes.write_bytes(bytes(out[:contents_at]) + bytes(out[gap_end:]))
    der_path = workdir / "signature.der"
    chain = workdir / "chain.pem"
    chain.write_bytes(b"".join(p.read_bytes() for p in signer.chain_paths))
    subprocess.run(
        [
            "openssl", "cms", "-sign", "-binary", "-nosmimecap", "-md", "sha256",
            "-in", str(signed_bytes), "-signer", str(signer.cert_path),
            "-inkey", str(signer.key_path), "-certfile", str(chain),
            "-outform", "DER", "-out", str(der_path),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    hexed = der_path.read_bytes().hex().encode()
    assert len(hexed) <= 2 * _SIGNATURE_ROOM, "the CMS does not fit in /Contents"
    out[contents_at + 1 : gap_end - 1] = hexed.ljust(2 * _SIGNATURE_ROOM, b"0")
    return bytes(out)


_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", re.S)


def _last_trailer(document: bytes) -> dict[str, int]:
    match = _TRAILER.search(document)
    assert match, "openssl_sign needs a classic cross-reference table"
    body = match.group(1)
    size = re.search(rb"/Size\s+(\d+)", body)
    root = re.search(rb"/Root\s+(\d+)\s+0\s+R", body)
    startxref = re.findall(rb"startxref\s*(\d+)", document)[-1]
    assert size and root
    return {"size": int(size.group(1)), "root": int(root.group(1)), "startxref": int(startxref)}


def _object_body(document: bytes, number: int) -> bytes:
    """The dictionary of object ``number``, as its newest definition has it."""
    bodies = re.findall(rb"(?:^|\n)%d 0 obj\s*(<<.*?>>)\s*endobj" % number, document, re.S)
    assert bodies, f"object {number} not found"
    return bytes(bodies[-1])


def _first_page(document: bytes, catalog: bytes) -> int:
    pages = re.search(rb"/Pages\s+(\d+)\s+0\s+R", catalog)
    assert pages
    kids = re.search(rb"/Kids\s*\[\s*(\d+)\s+0\s+R", _object_body(document, int(pages.group(1))))
    assert kids
    return int(kids.group(1))


def _dict_with(body: bytes, entries: bytes) -> bytes:
    """The dictionary ``body`` with ``entries`` added before its closing ``>>``."""
    assert body.endswith(b">>")
    return body[:-2].rstrip() + entries + b" >>"


# --- attacks -----------------------------------------------------------------


def _writer(signed: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_stream(writer: IncrementalPdfFileWriter, text: bytes) -> generic.IndirectObject:
    content = zlib.compress(b"BT /F1 16 Tf 72 770 Td (" + text + b") Tj ET")
    stream = generic.StreamObject(
        {generic.NameObject("/Filter"): generic.NameObject("/FlateDecode")},
        encoded_data=content,
    )
    return writer.add_object(stream)


def add_page(signed: bytes) -> bytes:
    """An incremental update that appends a page ("Annex: the employee waives
    every claim") after the signed ones."""
    writer = _writer(signed)
    pages_ref = writer.root.raw_get("/Pages")
    pages = pages_ref.get_object()
    first = pages["/Kids"][0].get_object()
    page = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/Parent"): pages_ref,
            generic.NameObject("/MediaBox"): first["/MediaBox"],
            generic.NameObject("/Resources"): first.raw_get("/Resources"),
            generic.NameObject("/Contents"): _text_stream(
                writer, b"Annex - the employee waives every claim"
            ),
        }
    )
    pages["/Kids"].append(writer.add_object(page))
    pages[generic.NameObject("/Count")] = generic.NumberObject(int(pages["/Count"]) + 1)
    writer.update_container(pages)
    return _written(writer)


def replace_content(signed: bytes) -> bytes:
    """Shadow attack, replace: an incremental update gives the first page's
    content stream (same object number) other words."""
    writer = _writer(signed)
    page_ref, _ = writer.find_page_for_modification(0)
    content_ref = page_ref.get_object().raw_get("/Contents")
    assert isinstance(content_ref, generic.IndirectObject)
    content = zlib.compress(b"BT /F1 16 Tf 72 770 Td (Contract - the hourly wage is 9 EUR) Tj ET")
    stream = generic.StreamObject(
        {generic.NameObject("/Filter"): generic.NameObject("/FlateDecode")},
        encoded_data=content,
    )
    writer.mark_update(content_ref)
    writer.objects[(content_ref.generation, content_ref.idnum)] = stream
    return _written(writer)


def overlay_annotation(signed: bytes) -> bytes:
    """Shadow attack, hide: an incremental update lays an opaque annotation
    with its own words over the first page's text."""
    writer = _writer(signed)
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    appearance = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, 460, 100)]
            ),
        },
        stream_data=b"1 g 0 0 460 100 re f 0 g BT /Helvetica 12 Tf 4 40 Td "
        b"(The hourly wage is 9 EUR.) Tj ET",
    )
    annotation = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Square"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (70, 650, 530, 750)]
            ),
            generic.NameObject("/F"): generic.NumberObject(4),
            generic.NameObject("/P"): page_ref,
            generic.NameObject("/AP"): generic.DictionaryObject(
                {generic.NameObject("/N"): writer.add_object(appearance)}
            ),
        }
    )
    annots = page.get("/Annots")
    if annots is None:
        page[generic.NameObject("/Annots")] = generic.ArrayObject()
        annots = page["/Annots"]
    annots = annots.get_object() if isinstance(annots, generic.IndirectObject) else annots
    annots.append(writer.add_object(annotation))
    writer.update_container(page)
    return _written(writer)


def _last_signature_dictionary(signed: bytes) -> tuple[int, int]:
    """Where the newest signature dictionary's /ByteRange and /Contents are."""
    contents = list(re.finditer(rb"/Contents\s*<([0-9a-fA-F]+)>", signed))
    match = max(contents, key=lambda m: len(m.group(1)))  # the CMS, not a small stream
    return match.start(), match.start(1)


def change_reason(signed: bytes) -> bytes:
    """The signature dictionary's /Reason edited in place (same length)."""
    old = b"(" + REASON.encode() + b")"
    assert signed.count(old) >= 1, "no /Reason to change"
    at = signed.rindex(old)
    return signed[:at] + b"(" + CHANGED_REASON.encode() + b")" + signed[at + len(old) :]


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def overlap_byte_range(signed: bytes) -> bytes:
    """The newest /ByteRange's first range stretched 20 bytes into the
    signature value, so the two ranges overlap the gap: same length, the
    rest of the file untouched."""
    match = list(_BYTE_RANGE.finditer(signed))[-1]
    a, b, c = (int(g) for g in match.groups())
    new = b"/ByteRange [0 %d %d %d]" % (a + 20, b, c)
    old_len = match.end() - match.start()
    assert len(new) <= old_len, "no room for the changed /ByteRange"
    new = new[:-1] + b" " * (old_len - len(new)) + b"]"
    return signed[: match.start()] + new + signed[match.end() :]


def flip_signature_value(signed: bytes) -> bytes:
    """One byte of the newest signature's value (the signer's RSA or ECDSA
    signature inside the CMS) flipped, in place."""
    _, hex_start = _last_signature_dictionary(signed)
    hex_end = signed.index(b">", hex_start)
    der = bytes.fromhex(signed[hex_start:hex_end].decode())
    info = cms.ContentInfo.load(der)
    value = info["content"]["signer_infos"][0]["signature"].native
    at = der.index(value) + len(value) // 2
    flipped = der[:at] + bytes([der[at] ^ 0xFF]) + der[at + 1 :]
    hexed = flipped.hex().encode()
    return signed[:hex_start] + hexed + signed[hex_start + len(hexed) :]


def sign_again_ignoring_certification(signer: Signer) -> Callable[[bytes], bytes]:
    """A later signature in a new field, made by a tool that does not look
    at the document's certification (a certification with /P 1 forbids
    it): pyHanko's signer with that one check left out."""
    from pyhanko.sign import fields, signers

    class CarelessSigner(signers.PdfSigner):
        def _enforce_certification_constraints(self, reader: Any) -> None:
            return None

    def attack(signed: bytes) -> bytes:
        pyhanko_signer = _pyhanko_signer(signer)
        meta = signers.PdfSignatureMetadata(
            field_name="Signature2", subfilter=fields.SigSeedSubFilter.PADES
        )
        out = CarelessSigner(meta, signer=pyhanko_signer).sign_pdf(_writer(signed))
        return bytes(out.getbuffer())

    return attack


ATTACKS: dict[str, Callable[[bytes], bytes]] = {
    "page added": add_page,
    "content replaced": replace_content,
    "overlay annotation": overlay_annotation,
    "/Reason changed": change_reason,
    "/ByteRange overlaps": overlap_byte_range,
    "signature value altered": flip_signature_value,
}
