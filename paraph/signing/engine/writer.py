"""Writing an incremental update: the writer that copies the original in
slices and shares the hash of the unchanged prefix, pages found from the
nearer end of the page tree, pyHanko's errors mapped to Paraph's, and the
signature's metadata and field name."""

from __future__ import annotations

import functools
import io
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import misc as pdf_misc
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_byterange import PdfByteRangeDigest, PreparedByteRangeDigest
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from paraph.signing.engine.options import DOCMDP_LEVELS, SignOptions
from paraph.signing.engine.reading import MAX_PAGE_TREE_DEPTH
from paraph.signing.exceptions import (
    DocumentRejected,
    SigningError,
    TimestampUnavailable,
)

_COPY_SLICE = 1 << 20


class IncrementalWriter(IncrementalPdfFileWriter):
    """pyHanko's incremental writer, copying the original bytes 1 MiB at a
    time: pyHanko copies them 4 KB at a time (190 writes for a 775 KB contract,
    5 % of a B-LTA signature). (Overrides an internal pyHanko method;
    pinned below 0.39.)"""

    def _write_header(self, stream: Any) -> None:
        source = self.input_stream
        if not isinstance(source, io.BytesIO):
            super()._write_header(stream)
            return
        # getvalue(), not getbuffer(): a BytesIO made from bytes shares them,
        # and exporting its buffer would copy the whole file first
        with memoryview(source.getvalue()) as original:
            for start in range(0, len(original), _COPY_SLICE):
                stream.write(original[start : start + _COPY_SLICE])

    def find_page_for_modification(self, page_ix: int) -> tuple[Any, Any]:
        return find_page(self, page_ix)

    # The hash of the file before the signature this writer writes, kept for
    # the next revision (a document time-stamp hashes the same bytes first);
    # and the one the previous writer kept, for this one.
    kept_prefix: _HashPrefix | None = None
    known_prefix: _HashPrefix | None = None

    def add_object(self, obj: Any, obj_stream: Any = None, idnum: Any = None) -> Any:
        if isinstance(obj, PdfByteRangeDigest):
            # pyHanko's signature and time-stamp placeholders: hashed below
            obj.fill = functools.partial(_fill_sharing_prefix, obj)  # type: ignore[method-assign]
        return super().add_object(obj, obj_stream=obj_stream, idnum=idnum)


@dataclass(frozen=True)
class _HashPrefix:
    """The running hash of a file's first ``length`` bytes."""

    md_algorithm: str
    length: int
    state: hashes.Hash


def _fill_sharing_prefix(
    placeholder: PdfByteRangeDigest,
    writer: IncrementalWriter,
    md_algorithm: str,
    in_place: bool = False,
    output: Any = None,
    chunk_size: int = pdf_misc.DEFAULT_CHUNK_SIZE,
) -> Generator[Any, Any, Any]:
    """pyHanko's ``PdfByteRangeDigest.fill`` (write the revision, fill in the
    byte range, hash it, then take the CMS), hashing what comes before the
    placeholder once for two revisions: a B-LTA document time-stamp covers
    the signature's revision whole, and that revision's bytes up to its
    /Contents are the ones the signature hashed. The hash state there is
    kept (``writer.kept_prefix``); the time-stamp's writer, which copies the
    signed file first, continues from it (``writer.known_prefix``) instead
    of hashing the document again (half a millisecond per megabyte).
    (Overrides an internal pyHanko method; pinned below 0.39.)"""
    if in_place or not isinstance(output, io.BytesIO):
        return (
            yield from type(placeholder).fill(
                placeholder, writer, md_algorithm, in_place, output, chunk_size
            )
        )
    writer.digest_aware_write = True
    writer.write(output)
    eof = output.tell()
    sig_start, sig_end = placeholder.contents.offsets
    placeholder.byte_range.fill_offsets(output, sig_start, sig_end, eof)
    known = writer.known_prefix
    with output.getbuffer() as written:
        if known is not None and known.md_algorithm == md_algorithm and known.length <= sig_start:
            md = known.state.copy()
            md.update(written[known.length : sig_start])
        else:
            md = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
            md.update(written[:sig_start])
        writer.kept_prefix = _HashPrefix(md_algorithm, sig_start, md.copy())
        md.update(written[sig_end:eof])
    prepared = PreparedByteRangeDigest(
        document_digest=md.finalize(),
        reserved_region_start=sig_start,
        reserved_region_end=sig_end,
    )
    cms_data = yield prepared, output
    yield prepared.fill_with_cms(output, cms_data)


def find_page(handler: Any, page_ix: int) -> tuple[generic.IndirectObject, Any]:
    """The page ``page_ix`` (negative: from the end) and its inherited
    resources, as pyHanko's ``find_page_for_modification``, but reading
    only the nodes on the way: each /Pages node's kids are read from the end
    nearer to the page. pyHanko reads every page before it, and a signature
    goes on the last page (10 % of a signature for a ten-page contract).
    The /Count of every node was checked when the document was accepted
    (:func:`_count_pages`); in a tree this walk cannot follow, pyHanko's
    own walk decides, as before."""
    try:
        return _find_page_from_nearer_end(handler, page_ix)
    except (pdf_misc.PdfError, KeyError, TypeError, ValueError):
        return PdfHandler.find_page_for_modification(handler, page_ix)


def _find_page_from_nearer_end(handler: Any, page_ix: int) -> tuple[generic.IndirectObject, Any]:
    node_ref = handler.root.raw_get("/Pages")
    if not isinstance(node_ref, generic.IndirectObject):
        raise pdf_misc.PdfReadError("the page tree root is not an indirect object")
    node = node_ref.get_object()
    resources = node.raw_get("/Resources") if "/Resources" in node else generic.DictionaryObject()
    count = int(node["/Count"])
    index = page_ix + count if page_ix < 0 else page_ix
    if not 0 <= index < count:
        raise pdf_misc.PdfError("Page index out of range")
    seen = {node_ref.reference}
    for _ in range(MAX_PAGE_TREE_DEPTH):
        kids = node["/Kids"]
        backwards = index >= count // 2
        position = count - 1 - index if backwards else index  # from the chosen end
        for kid_ref in reversed(kids) if backwards else kids:
            if not isinstance(kid_ref, generic.IndirectObject) or kid_ref.reference in seen:
                raise pdf_misc.PdfReadError("the page tree loops or holds a direct object")
            kid = kid_ref.get_object()
            size = int(kid["/Count"]) if kid["/Type"] == "/Pages" else 1
            if position < size:
                break
            position -= size
        else:
            raise pdf_misc.PdfError("Page not found")
        if kid["/Type"] == "/Page":
            if "/Resources" in kid:
                resources = kid.raw_get("/Resources")
            return kid_ref, resources
        seen.add(kid_ref.reference)
        node, count = kid, size
        index = size - 1 - position if backwards else position
        if "/Resources" in node:
            resources = node.raw_get("/Resources")
    raise pdf_misc.PdfReadError("the page tree is too deep")


def incremental_writer(reader: PdfFileReader) -> IncrementalPdfFileWriter:
    try:
        return IncrementalWriter.from_reader(reader)
    except Exception as exc:  # same reasons as in check_document
        raise DocumentRejected(f"the PDF cannot be updated: {exc}", code="damaged") from exc


def map_pyhanko_errors(exc: Exception) -> SigningError:
    """Paraph's exception for a failure inside pyHanko."""
    if isinstance(exc, SigningError):
        return exc
    if isinstance(exc, TimestampRequestError | OSError):
        return TimestampUnavailable(f"no time-stamp could be obtained: {exc}")
    message = str(exc)
    # pyHanko's own words for the two cases (pdf_signer.py); any other
    # message that names a certificate is not about the document's lock.
    if "Certification signatures must be the first signature" in message:
        return DocumentRejected(
            f"the document is already signed, so it cannot be certified: {message}",
            code="already_signed",
        )
    if "DocMDP" in message or "Author signature forbids all changes" in message:
        return DocumentRejected(
            f"the document's certification forbids another signature: {message}",
            code="locked",
        )
    if isinstance(exc, PyHankoSigningError):
        return SigningError(f"the signature could not be made: {message}")
    if isinstance(exc, pdf_misc.PdfError):
        return DocumentRejected(f"the PDF cannot be signed: {message}", code="damaged")
    return SigningError(f"the signature could not be made ({exc.__class__.__name__}: {message})")


def signature_metadata(
    options: SignOptions, *, md_algorithm: str, field_name: str
) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=md_algorithm,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=options.reason,
        location=options.location,
        name=options.signer_name,
        contact_info=options.contact_info,
        certify=options.certify,
        docmdp_permissions=DOCMDP_LEVELS[options.docmdp],
    )


def signature_field_name(reader: PdfFileReader, options: SignOptions) -> str:
    if options.field_name:
        return options.field_name
    taken = {name for name, _, _ in fields.enumerate_sig_fields(reader)}
    n = 1
    while f"Signature{n}" in taken:
        n += 1
    return f"Signature{n}"
