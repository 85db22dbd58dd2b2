"""The long term: a signature extended to B-LT (validation data in the
document security store) and B-LTA (a document time-stamp over it), the
same for every kind of signature, and the renewal of an archive's
time-stamp before its certificate expires."""

from __future__ import annotations

import copy as pycopy
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_byterange import PdfByteRangeDigest
from pyhanko.sign.signers.pdf_signer import (
    PdfTimeStamper,
)
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
)
from pyhanko.sign.validation.dss import collect_validation_info
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import ValidationContext

from paraph.signing import fetching
from paraph.signing.engine.cms import cached_timestamper, trust_validation_context
from paraph.signing.engine.options import EngineConfig, Level
from paraph.signing.engine.reading import BYTE_RANGE, check_document, error_reason, read_document
from paraph.signing.engine.runtime import release_contexts, run
from paraph.signing.engine.writer import IncrementalWriter, find_page, map_pyhanko_errors
from paraph.signing.exceptions import (
    DocumentRejected,
    SigningError,
)


async def extend_signed(
    data: bytes,
    level: Level,
    config: EngineConfig,
    *,
    written_by: IncrementalPdfFileWriter | None = None,
) -> bytes:
    """Add validation data (B-LT) and a document time-stamp (B-LTA) after
    the newest signature, in one incremental update: the document
    security store gets the certificates, CRLs and OCSP answers of the
    signer, of the signature's time-stamp authority and of the authority
    that time-stamps the document, and the document time-stamp covers them
    (ETSI EN 319 142-1 §5.4, §5.5). ``written_by``: the writer that has just
    written ``data``'s last revision, whose objects need not be read again."""
    if level in (Level.B_B, Level.B_T):
        return data
    try:
        reader = PdfFileReader(io.BytesIO(data))
        if written_by is not None:
            _seed(reader, written_by)
        sig = _just_signed(data) or reader.embedded_signatures[-1]
        stamper = (
            PdfTimeStamper(cached_timestamper(config.timestamp_authority))
            if level == Level.B_LTA
            else None
        )
        validation = await _validation_data(sig, config, stamper)
        writer = IncrementalWriter.from_reader(reader)
        if isinstance(written_by, IncrementalWriter) and isinstance(writer, IncrementalWriter):
            # the signed file is the start of this revision's output
            writer.known_prefix = written_by.kept_prefix
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            sig.pkcs7_content.hex().encode("ascii"),
            paths=validation.paths,
            crls=validation.crls,
            ocsps=validation.ocsps,
        )
        if stamper is None:
            out = io.BytesIO()
            writer.write(out)
        else:
            out = await stamper.async_timestamp_pdf(writer, "sha256", output=io.BytesIO())
    except Exception as exc:
        await fetching.forget()  # a failed fetch is not kept for the next document
        raise map_pyhanko_errors(exc) from exc
    return bytes(out.getvalue())


class _NotSeedable(Exception):
    """An object the seeding below does not copy (a stream, a placeholder)."""


def _seed(reader: PdfFileReader, writer: IncrementalPdfFileWriter) -> None:
    """Put into ``reader``'s object cache, instead of parsing them again, the
    objects the next revision rewrites (the catalogue, the form and its
    fields, the first page) as ``writer`` has just written them as the last
    revision of ``reader``'s file: what the writer holds of an object is
    what the file says of it. pyHanko parses a PDF object a character at a
    time; these reads were a tenth of a B-LTA signature. Each copy is made
    for ``reader``: its references resolve in ``reader``, and its containers
    say which of ``reader``'s objects they belong to, as if read there.
    Streams and pyHanko's signature placeholders are left to be read."""
    if reader.encrypted:
        return
    refs = [writer.root_ref]
    root = writer.root
    form = root.raw_get("/AcroForm") if "/AcroForm" in root else None
    if isinstance(form, generic.IndirectObject):
        refs.append(form.reference)
    fields_ = form.get_object().raw_get("/Fields") if form is not None else None
    if isinstance(fields_, generic.IndirectObject):
        refs.append(fields_.reference)
    if fields_ is not None:
        refs.extend(
            f.reference for f in fields_.get_object() if isinstance(f, generic.IndirectObject)
        )
    pages = root.raw_get("/Pages")
    if isinstance(pages, generic.IndirectObject):
        refs.append(pages.reference)
        refs.append(find_page(writer, 0)[0].reference)
    for ref in refs:
        try:
            copy = _copied_for(
                writer.get_object(ref), reader, generic.Reference(ref.idnum, ref.generation, reader)
            )
        except _NotSeedable:
            continue
        reader.cache_indirect_object(ref.generation, ref.idnum, copy)


_LEAVES = (
    generic.NameObject,
    generic.NumberObject,
    generic.FloatObject,
    generic.BooleanObject,
    generic.NullObject,
    generic.TextStringObject,
    generic.ByteStringObject,
)


def _copied_for(obj: Any, reader: PdfFileReader, container: generic.Reference) -> Any:
    if isinstance(obj, generic.IndirectObject):
        return generic.IndirectObject(obj.idnum, obj.generation, reader)
    if isinstance(obj, generic.StreamObject | PdfByteRangeDigest):
        raise _NotSeedable
    copy: Any
    if isinstance(obj, generic.DictionaryObject):
        copy = generic.DictionaryObject(
            {key: _copied_for(value, reader, container) for key, value in dict.items(obj)}
        )
    elif isinstance(obj, generic.ArrayObject):
        copy = generic.ArrayObject(
            _copied_for(item, reader, container) for item in list.__iter__(obj)
        )
    elif isinstance(obj, _LEAVES):
        copy = pycopy.copy(obj)
    else:
        raise _NotSeedable
    copy.container_ref = container
    return copy


@dataclass(frozen=True)
class _ValidationData:
    paths: tuple[Any, ...]
    crls: tuple[asn1_crl.CertificateList, ...]
    ocsps: tuple[Any, ...]


async def _validation_data(
    sig: EmbeddedPdfSignature | _JustSigned, config: EngineConfig, stamper: PdfTimeStamper | None
) -> _ValidationData:
    """The validation paths and revocation answers of a signature's signer,
    of its time-stamp's authority, and of the authority that will time-stamp
    the document. The same for every document one key signs: found once and
    remembered as long as the fetched answers (``fetched_max_age``), keyed by
    the certificates and by the trust (a new CRL of Paraph's is a new key).
    Hard-fail: a missing OCSP/CRL answer fails the signature rather than
    producing a B-LT document that lacks its validation data."""
    key = (
        bytes(sig.signed_data["certificates"].dump()),
        tuple(
            bytes(tst["certificates"].dump())
            for tst in extract_tst_data_iter(sig.signer_info, signed=False)
        ),
        stamper is not None,
        config.trust,
    )
    remembered = fetching.remembered(key, config.fetched_max_age)
    if remembered is not None:
        return remembered
    vc = await _signing_validation_context(config)
    try:
        paths = await collect_validation_info(sig, vc)  # type: ignore[arg-type]
        if stamper is not None:
            # the TSA's certificate, from its answer used to size time-stamps
            # (pyHanko's own document time-stamp flow does the same)
            paths.extend([path async for path in stamper.default_timestamper.validation_paths(vc)])
        found = _ValidationData(tuple(paths), tuple(vc.crls), tuple(vc.ocsps))
    finally:
        await release_contexts(vc)
    if config.fetched_max_age > 0:
        fetching.remember(key, found)
    return found


@dataclass(frozen=True)
class _JustSigned:
    """The parts of an :class:`EmbeddedPdfSignature` that pyHanko's
    ``collect_validation_info`` and the VRI key read, for the signature
    Paraph has just written at the end of the file."""

    pkcs7_content: bytes
    signed_data: cms.SignedData
    signer_info: cms.SignerInfo


def _just_signed(data: bytes) -> _JustSigned | None:
    """The newest signature of a file Paraph has just signed, read from its
    byte range. pyHanko's reader parses the /Contents hex string one byte at
    a time (a third of the time of a B-LTA signature); the byte range says
    where it is, and ``bytes.fromhex`` reads it at once. ``None`` when the
    file does not end with such a signature (then pyHanko reads it)."""
    at = data.rfind(b"/ByteRange")
    match = BYTE_RANGE.match(data, at) if at >= 0 else None
    if match is None:
        return None
    gap_start, after_gap, tail = (int(n) for n in match.groups())
    if not (
        0 < gap_start < after_gap
        and after_gap + tail == len(data)
        and data[gap_start : gap_start + 1] == b"<"
        and data[after_gap - 1 : after_gap] == b">"
    ):
        return None
    try:
        contents = bytes.fromhex(data[gap_start + 1 : after_gap - 1].decode("ascii"))
        signed_data = cms.ContentInfo.load(contents)["content"]
        signer_info = signed_data["signer_infos"][0]
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return _JustSigned(contents, signed_data, signer_info)


async def _signing_validation_context(config: EngineConfig) -> ValidationContext:
    """A hard-fail context for embedding validation data, over the answers
    fetched for the previous signatures (when ``fetched_max_age`` allows)."""
    shared = await fetching.fetchers(config.fetched_max_age) if config.fetched_max_age > 0 else None
    return trust_validation_context(config.trust, revocation_mode="hard-fail", fetchers=shared)


# --- archive renewal ---------------------------------------------------------


@dataclass(frozen=True)
class ArchiveState:
    """Where a signed document's proof of existence stands: its newest
    document time-stamp, and when that time-stamp's certificate ends (after
    which only a newer time-stamp keeps the signatures verifiable)."""

    last_timestamp_at: datetime | None
    expires_at: datetime | None

    def due(self, now: datetime, margin: timedelta) -> bool:
        """A new document time-stamp is due: there is none yet, or the
        newest one's certificate ends within ``margin``."""
        return self.expires_at is None or self.expires_at - margin <= now


def archive_state(data: bytes) -> ArchiveState:
    """The :class:`ArchiveState` of a signed PDF. Raises
    :class:`DocumentRejected` for a file that cannot be read."""
    reader = read_document(data, len(data) or 1, lenient=True)[0]
    try:
        stamps = reader.embedded_timestamp_signatures
        if not stamps:
            return ArchiveState(last_timestamp_at=None, expires_at=None)
        newest = stamps[-1]
        return ArchiveState(
            last_timestamp_at=document_timestamp_time(newest),
            expires_at=newest.signer_cert.not_valid_after,
        )
    except Exception as exc:
        raise DocumentRejected(
            f"the document time-stamps cannot be read ({error_reason(exc)})", code="damaged"
        ) from exc


def document_timestamp_time(doc_timestamp: Any) -> datetime:
    """When a document time-stamp says it was made (its TSTInfo genTime)."""
    moment: datetime = (
        doc_timestamp.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    )
    return moment


async def async_archive_renew(data: bytes, config: EngineConfig) -> bytes:
    """``data`` with a new document time-stamp after the newest one, and the
    validation data of that newest one (certificates, CRLs, OCSP answers) in
    the DSS before it, so the chain of proof goes on after its certificate
    ends (PAdES B-LTA, ETSI EN 319 142-1 §5.5). Refuses, with
    :class:`SigningError`, when the configured time-stamp authority's
    certificate would not outlive the newest one's: renewing with it would
    prove nothing new."""
    before = archive_state(data)
    reader = check_document(data, config.max_bytes)
    stamper = PdfTimeStamper(cached_timestamper(config.timestamp_authority))
    vc = await _signing_validation_context(config)
    try:
        out = await stamper.async_update_archival_timestamp_chain(
            reader, vc, in_place=False, output=io.BytesIO()
        )
    except Exception as exc:
        await fetching.forget()
        raise map_pyhanko_errors(exc) from exc
    finally:
        await release_contexts(vc)
    renewed = bytes(out.getvalue())
    after = archive_state(renewed)
    if (
        before.expires_at is not None
        and after.expires_at is not None
        and after.expires_at <= before.expires_at
    ):
        raise SigningError(
            f"the time-stamp authority's certificate ends {after.expires_at:%Y-%m-%d}, "
            f"no later than the document's newest time-stamp ({before.expires_at:%Y-%m-%d}): "
            "configure a time-stamp authority with a newer certificate",
            code="tsa_expiring",
        )
    return renewed


def archive_renew(data: bytes, config: EngineConfig) -> bytes:
    """Sync entry point of :func:`async_archive_renew`."""
    return run(async_archive_renew(data, config))
