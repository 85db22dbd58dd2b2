"""Reading input: a PDF opened strictly (or refused with a precise reason),
its page tree walked with a depth bound, every object read once, the
revision the newest signature covers, and what a signing step needs to
know of a document (its fields, whether a certification locks it)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import misc as pdf_misc
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.validation import (
    read_certification_data,
)

from paraph.signing.engine.options import NOTE_LENIENT
from paraph.signing.exceptions import (
    DocumentRejected,
)

# --- reading input ----------------------------------------------------------


def open_pdf(data: bytes, *, strict: bool) -> PdfFileReader:
    """pyHanko's reader over ``data``, its catalogue parsed (unless the
    file is encrypted); raises whatever pyHanko raises on a damaged file."""
    reader = PdfFileReader(io.BytesIO(data), strict=strict)
    if not reader.encrypted:
        reader.root  # noqa: B018 - parses the catalogue through the xref table
    return reader


def error_reason(exc: BaseException) -> str:
    """A one-line reason for a report or a log: the exception's message
    (pyHanko and asn1crypto write several lines) and its kind."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    kind = exc.__class__.__name__
    return f"{text} ({kind})" if text else f"its data is inconsistent ({kind})"


def check_document(data: bytes, max_bytes: int) -> PdfFileReader:
    """A strict reader over ``data``, or a precise :class:`DocumentRejected`."""
    return read_document(data, max_bytes, lenient=False)[0]


def read_document(
    data: bytes, max_bytes: int, *, lenient: bool
) -> tuple[PdfFileReader, str | None]:
    """A reader over ``data`` and a note, or a precise :class:`DocumentRejected`.
    The reader is strict (it refuses what ISO 32000 forbids, as a document
    to sign must be read); with ``lenient``, a file the strict reader
    refuses is read as PDF viewers read it, and the note says why."""
    if not data:
        raise DocumentRejected("the file is empty (0 bytes)", code="empty")
    if len(data) > max_bytes:
        raise DocumentRejected(
            f"the file is {len(data)} bytes; the limit is {max_bytes} bytes", code="too_large"
        )
    if b"%PDF-" not in data[:1024]:
        raise DocumentRejected("the file is not a PDF (no %PDF- header)", code="not_pdf")
    if b"%%EOF" not in data[-2048:]:
        raise DocumentRejected(
            "the PDF is truncated (its end-of-file marker is missing)", code="truncated"
        )
    note = None
    try:
        try:
            reader = open_pdf(data, strict=True)
        except Exception as exc:  # pyHanko raises many kinds on damaged files
            if not lenient:
                raise
            reader = open_pdf(data, strict=False)
            note = f"{NOTE_LENIENT}: {error_reason(exc)}"
    except Exception as exc:
        raise DocumentRejected(
            f"the PDF is damaged and cannot be read ({error_reason(exc)})", code="damaged"
        ) from exc
    if reader.encrypted:
        raise DocumentRejected(
            "the PDF is encrypted (password-protected); ask for an unprotected copy",
            code="encrypted",
        )
    return reader, note


# Page trees are a few levels deep; more is damage (or an attack on a reader's
# recursion), as is a node met twice.
MAX_PAGE_TREE_DEPTH = 64


def _page_tree_broken(what: str) -> DocumentRejected:
    return DocumentRejected(f"the PDF's page tree is broken: {what}", code="page_tree")


def _count_pages(
    node_ref: Any, seen: set[generic.Reference], depth: int, *, is_root: bool = False
) -> int:
    """The pages under ``node_ref``, each /Pages node's /Count checked
    against them; :class:`DocumentRejected` (``page_tree``) when the tree
    loops, names an object the file does not hold, or miscounts."""
    if not isinstance(node_ref, generic.IndirectObject):
        raise _page_tree_broken("a node is not an indirect object")
    ref = node_ref.reference
    label = f"object {ref.idnum} {ref.generation} R"
    if ref in seen:
        raise _page_tree_broken(f"{label} appears twice (the tree loops back on itself)")
    if depth > MAX_PAGE_TREE_DEPTH:
        raise _page_tree_broken(f"it is more than {MAX_PAGE_TREE_DEPTH} levels deep")
    seen.add(ref)
    try:
        node = node_ref.get_object()
        is_dict = isinstance(node, generic.DictionaryObject)
        node_type = node["/Type"] if is_dict and "/Type" in node else None
        if is_root and node_type is None and is_dict and "/Kids" in node:
            node_type = "/Pages"  # the root's /Type is often left out; pyHanko does not need it
        kids = node["/Kids"] if node_type == "/Pages" and "/Kids" in node else None
        declared = node["/Count"] if node_type == "/Pages" and "/Count" in node else None
    except pdf_misc.PdfStrictReadError as exc:
        raise _page_tree_broken(f"{label} is missing from the file") from exc
    except (KeyError, pdf_misc.PdfReadError) as exc:
        raise _page_tree_broken(f"{label} cannot be read ({error_reason(exc)})") from exc
    if node_type == "/Page" and not is_root:
        return 1
    if node_type != "/Pages":
        raise _page_tree_broken(f"{label} is neither a page nor a list of pages")
    if not isinstance(kids, generic.ArrayObject):
        raise _page_tree_broken(f"{label} has no list of pages (/Kids)")
    pages = sum(_count_pages(kid, seen, depth + 1) for kid in kids)
    if not isinstance(declared, int) or declared != pages:
        raise _page_tree_broken(f"{label} says it holds {declared} page(s), it holds {pages}")
    return pages


def _read_every_object(reader: PdfFileReader) -> None:
    """Read every object the document uses, from its trailer: a strict
    reader then finds what a validator would stumble on later (an object
    named but missing, a stream cut short)."""
    seen: set[generic.Reference] = set()
    stack: list[Any] = list(reader.trailer_view.values())
    while stack:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            if obj.reference in seen:
                continue
            seen.add(obj.reference)
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):
            stack.extend(obj.values())
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj)


def newest_signature_revision(data: bytes) -> bytes:
    """``data`` as far as its newest signature covers it: the bytes before
    the revisions that extend a signature for the long term (validation
    data and a document time-stamp, which cover the whole file), or
    ``data`` itself when nothing follows the signature. Found from the
    signatures' ``/ByteRange`` arrays without parsing the file: a forged
    array gives a prefix that does not validate, never a pass."""
    ends = {int(start) + int(length) for _, start, length in BYTE_RANGE.findall(data)}
    earlier = [end for end in ends if end < len(data)]
    return data[: max(earlier)] if earlier and len(data) in ends else data


def check_structure(data: bytes) -> None:
    """Refuse with :class:`DocumentRejected` a PDF whose cross-reference
    sections, trailer and catalogue a strict reader refuses (cheaper than
    :func:`check_readable`, which also reads every object)."""
    check_document(data, len(data))


def check_readable(data: bytes, *, max_bytes: int) -> int:
    """The number of pages of ``data``, a PDF that Paraph can sign and that
    every validator can read back. Refuses with :class:`DocumentRejected`
    what :func:`sign_pdf` refuses (``empty``, ``too_large``, ``not_pdf``,
    ``truncated``, ``damaged``, ``encrypted``), a page tree that loops,
    names a missing object or miscounts its pages (``page_tree``), and a
    document that a strict reader refuses anywhere, e.g. an object that is
    named but missing (``malformed``): signing reads only the parts it
    changes, so such a file would be signed and its signatures then fail
    to validate."""
    return _pages_read(check_document(data, max_bytes))


def _pages_read(reader: PdfFileReader) -> int:
    """Every object of ``reader`` read strictly, and its pages counted
    (:func:`check_readable`'s refusals)."""
    try:
        pages = _count_pages(reader.root.raw_get("/Pages"), set(), 0, is_root=True)
        _read_every_object(reader)
    except DocumentRejected:
        raise
    except KeyError as exc:
        raise _page_tree_broken("the document has no page tree") from exc
    except pdf_misc.PdfStrictReadError as exc:
        raise DocumentRejected(
            f"the PDF breaks the PDF standard and is read only leniently ({error_reason(exc)})",
            code="malformed",
        ) from exc
    except Exception as exc:  # RecursionError on absurd nesting, PdfReadError...
        raise DocumentRejected(
            f"the PDF is damaged and cannot be read ({error_reason(exc)})", code="damaged"
        ) from exc
    if pages == 0:
        raise _page_tree_broken("the document has no page")
    return pages


@dataclass(frozen=True)
class SigningState:
    """What a document already carries that decides how Paraph may sign
    it: how many signatures, whether its author certified it, and the
    names of its signature fields."""

    signatures: int
    certified: bool
    field_names: frozenset[str]


def signing_state(data: bytes, *, max_bytes: int) -> SigningState:
    """The :class:`SigningState` of ``data`` (refused as :func:`sign_pdf`
    refuses it)."""
    return _state_read(check_document(data, max_bytes))


def check_signable(data: bytes, *, max_bytes: int) -> SigningState:
    """:func:`check_readable` and :func:`signing_state` from one reading of
    ``data`` (the document a contract sends is checked both ways before
    Paraph seals it, and reading it is a large part of the cost)."""
    reader = check_document(data, max_bytes)
    _pages_read(reader)
    return _state_read(reader)


def _state_read(reader: PdfFileReader) -> SigningState:
    certified = check_not_locked(reader)
    try:
        names = frozenset(name for name, _, _ in fields.enumerate_sig_fields(reader))
        count = len(reader.embedded_signatures)
    except Exception as exc:
        raise DocumentRejected(
            f"the PDF's signature fields cannot be read: {exc}", code="damaged"
        ) from exc
    return SigningState(signatures=count, certified=certified, field_names=names)


def check_not_locked(reader: PdfFileReader) -> bool:
    """Refuse a document whose certification signature forbids any change;
    True when the document is certified (and allows more signatures)."""
    try:
        certification = read_certification_data(reader)
    except Exception as exc:
        raise DocumentRejected(
            f"the PDF's certification cannot be read: {exc}", code="damaged"
        ) from exc
    if certification is not None and certification.permission == fields.MDPPerm.NO_CHANGES:
        raise DocumentRejected(
            "the document is certified by its author with 'no changes allowed': "
            "it cannot be signed again",
            code="locked",
        )
    return certification is not None


BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
