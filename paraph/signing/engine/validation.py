"""Validating a signed PDF: each signature and document time-stamp checked
with pyHanko against a trust configuration, with a long-term fallback for
signatures whose certificates have since expired, and the document read
leniently when a strict reader refuses it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509
from pyhanko.pdf_utils import misc as pdf_misc
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from paraph.signing.engine.changes import (
    COVERAGE_LEVELS,
    anchor_name,
    later_changes,
    revoked_in_known_crls,
)
from paraph.signing.engine.cms import load_cert, name_attribute, trust_validation_context
from paraph.signing.engine.longterm import document_timestamp_time
from paraph.signing.engine.options import (
    NOTE_LENIENT,
    PROBLEM_CERTIFICATION,
    PROBLEM_MODIFIED,
    PROBLEM_PARTIAL_COVERAGE,
    PROBLEM_SEED_VALUE,
    PROBLEM_TIMESTAMP,
    PROBLEM_UNVALIDATABLE,
    Level,
    Trust,
)
from paraph.signing.engine.reading import error_reason, open_pdf, read_document
from paraph.signing.engine.reports import SignatureReport, ValidationReport
from paraph.signing.engine.runtime import release_contexts, run
from paraph.signing.exceptions import (
    DocumentRejected,
)

log = logging.getLogger("paraph.signing.engine")


def _has_revocation_sources(cert: x509.Certificate) -> bool:
    return bool(cert.ocsp_urls or cert.crl_distribution_points)


async def async_validate_pdf(
    data: bytes, *, trust: Trust, moment: datetime | None = None, max_bytes: int | None = None
) -> ValidationReport:
    """A report on every signature in ``data``, validated against ``trust``
    only. A file that a strict reader refuses (at once, or in the middle of
    a validation) is validated again as read leniently, with a note; a
    signature that cannot be validated is reported with the reason, never
    raised. Raises only :class:`DocumentRejected`, for a file that cannot
    be read at all."""
    limit = max_bytes or len(data) or 1
    reader, note = read_document(data, limit, lenient=True)
    if note is None:
        try:
            return await _validate_reader(reader, trust, moment)
        except pdf_misc.PdfStrictReadError as exc:
            note = f"{NOTE_LENIENT}: {error_reason(exc)}"
            log.info("validating a PDF that a strict reader refuses: %s", note)
        try:
            reader = open_pdf(data, strict=False)
        except Exception as exc:
            raise DocumentRejected(
                f"the PDF is damaged and cannot be read ({error_reason(exc)})", code="damaged"
            ) from exc
    report = await _validate_reader(reader, trust, moment)
    return ValidationReport(signatures=report.signatures, notes=(note, *report.notes))


async def _validate_reader(
    reader: PdfFileReader, trust: Trust, moment: datetime | None
) -> ValidationReport:
    """The report on the signatures ``reader`` finds. Through a strict
    reader, a strict-read error escapes (the caller reads leniently);
    anything else that breaks the whole document is :class:`DocumentRejected`."""
    try:
        dss: DocumentSecurityStore | None = DocumentSecurityStore.read_dss(reader)
    except Exception as exc:  # NoDSSFoundError, or a damaged DSS that validation will miss
        if _read_again_leniently(reader, exc):
            raise
        dss = None
    try:
        found = _embedded_signatures(reader)
    except Exception as exc:  # a looping or damaged form: RecursionError, PdfReadError...
        if _read_again_leniently(reader, exc):
            raise
        raise DocumentRejected(
            f"the PDF's signature fields cannot be read ({error_reason(exc)})", code="damaged"
        ) from exc
    embedded = [sig for sig in found if not isinstance(sig, SignatureReport)]
    doc_ts_revisions = [s.signed_revision for s in embedded if s.sig_object_type == "/DocTimeStamp"]
    reports = []
    for sig in found:
        if isinstance(sig, SignatureReport):
            reports.append(sig)
        else:
            reports.append(await _validate_guarded(sig, trust, moment, dss, doc_ts_revisions))
    return ValidationReport(signatures=tuple(reports))


_SUBFILTERS = {subfilter.value for subfilter in fields.SigSeedSubFilter}


def _embedded_signatures(reader: PdfFileReader) -> list[EmbeddedPdfSignature | SignatureReport]:
    """The filled signature fields of ``reader`` in signing order, as
    pyHanko's ``embedded_signatures`` gives them; a field whose signature
    cannot even be parsed (garbage in /Contents) is a report that says so,
    after the others. Signatures of an unknown /SubFilter are left out,
    as pyHanko does."""
    readable: list[EmbeddedPdfSignature] = []
    unreadable: list[SignatureReport] = []
    for fq_name, sig_obj, sig_field in fields.enumerate_sig_fields(reader, filled_status=True):
        try:
            if sig_obj.get_object().get("/SubFilter") not in _SUBFILTERS:
                continue
            readable.append(EmbeddedPdfSignature(reader, sig_field, fq_name))
        except Exception as exc:  # asn1crypto's ValueError, pyHanko's asserts...
            if _read_again_leniently(reader, exc):
                raise
            log.warning("signature field %s cannot be read: %s", fq_name, error_reason(exc))
            unreadable.append(_unvalidatable_signature(str(fq_name), sig_obj, exc))
    readable.sort(key=lambda sig: sig.signed_revision)
    return [*readable, *unreadable]


def _read_again_leniently(reader: PdfFileReader, exc: Exception) -> bool:
    """True when ``exc`` is a strict reader refusing what a lenient one
    reads: the whole document is then validated again, read leniently."""
    return reader.strict and isinstance(exc, pdf_misc.PdfStrictReadError)


def _unvalidatable_signature(
    field_name: str,
    sig_obj: Any,
    exc: BaseException,
    *,
    cert: x509.Certificate | None = None,
) -> SignatureReport:
    """The report on a signature that could not be validated, and why."""
    try:
        is_doc_ts = sig_obj.get_object().get("/Type") == "/DocTimeStamp"
    except Exception:
        is_doc_ts = False
    return SignatureReport(
        field_name=field_name,
        kind="document_timestamp" if is_doc_ts else "signature",
        signer=name_attribute(cert.subject, "common_name") if cert is not None else "",
        signer_national_number="",
        issuer=name_attribute(cert.issuer, "common_name") if cert is not None else "",
        signing_time=None,
        timestamp_time=None,
        timestamp_authority="",
        intact=False,
        covers_whole_document=False,
        modifications="unknown",
        trusted=False,
        revocation="unknown",
        level=None,
        certification="",
        problems=(f"{PROBLEM_UNVALIDATABLE}: {error_reason(exc)}",),
    )


# What damaged signatures and documents raise inside pyHanko, asn1crypto and
# the certificate validator: each one is a report's problem, logged briefly.
_EXPECTED_FAILURES = (
    SignatureValidationError,
    pdf_misc.PdfError,
    AssertionError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    NotImplementedError,
    RecursionError,
)


async def _validate_guarded(
    sig: EmbeddedPdfSignature,
    trust: Trust,
    moment: datetime | None,
    dss: DocumentSecurityStore | None,
    doc_ts_revisions: list[int],
) -> SignatureReport:
    """:func:`_validate_one`, with whatever it raises made the signature's
    problem (a strict-read error through a strict reader escapes: the
    document is read again leniently)."""
    try:
        return await _validate_one(sig, trust, moment, dss, doc_ts_revisions)
    except Exception as exc:
        if _read_again_leniently(sig.reader, exc):
            raise
        if isinstance(exc, _EXPECTED_FAILURES):
            log.warning("signature %s cannot be validated: %s", sig.field_name, error_reason(exc))
        else:  # the last resort: a report, and the details in the log
            log.exception("signature %s: unexpected failure while validating it", sig.field_name)
        try:
            cert = sig.signer_cert
        except Exception:
            cert = None
        return _unvalidatable_signature(str(sig.field_name), sig.sig_object, exc, cert=cert)


def validate_pdf(
    data: bytes, *, trust: Trust, moment: datetime | None = None, max_bytes: int | None = None
) -> ValidationReport:
    """Sync entry point of :func:`async_validate_pdf`."""
    return run(async_validate_pdf(data, trust=trust, moment=moment, max_bytes=max_bytes))


async def _status(
    sig: Any,
    trust: Trust,
    moment: datetime | None,
    dss: DocumentSecurityStore | None,
    mode: str,
    *,
    retroactive: bool = False,
) -> Any:
    # One context for the signer and its time-stamp, as pyHanko does by
    # default: both are validated at ``moment`` with the same trust and the
    # same embedded data, and building a context (its certificate registry)
    # is a large part of a validation.
    vc = trust_validation_context(
        trust, revocation_mode=mode, moment=moment, dss=dss, retroactive=retroactive
    )
    try:
        if sig.sig_object_type == "/DocTimeStamp":
            return await async_validate_pdf_timestamp(sig, validation_context=vc)
        return await async_validate_pdf_signature(sig, signer_validation_context=vc)
    finally:
        await release_contexts(vc)


async def _long_term_valid(
    sig: Any, trust: Trust, moment: datetime | None
) -> tuple[bool, datetime | None]:
    """ETSI EN 319 102-1 validation with long-term availability (pyHanko's
    AdES LTA process): the signature's path validated in the past, at the
    time its time-stamps prove, with the revocation data embedded in the
    document and the CRLs Paraph knows. Whether it passes, and when the
    certificate was revoked if that is what it found."""
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(
            trust_roots=[load_cert(c, "trust root") for c in trust.roots]
        ),
        revinfo_policy=CertRevTrustPolicy(
            REQUIRE_REVINFO,
            freshness=None,
            freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
        ),
    )
    spec = PdfSignatureValidationSpec(
        signature_validation_spec=SignatureValidationSpec(
            cert_validation_policy=policy,
            local_knowledge=LocalKnowledge(
                known_certs=[
                    load_cert(c, "intermediate CA certificate") for c in trust.intermediates
                ],
                known_crls=[CRLContainer(asn1_crl.CertificateList.load(c)) for c in trust.crls],
            ),
        ),
        diff_policy=DEFAULT_DIFF_POLICY,
    )
    timing = (
        ValidationTimingInfo(moment, moment, point_in_time_validation=True)
        if moment is not None
        else ValidationTimingInfo.now()
    )
    try:
        result = await ades_lta_validation(sig, spec, timing_info=timing)
    except Exception:  # a damaged structure: no long-term proof then
        log.warning("long-term validation of %s failed", sig.field_name, exc_info=True)
        return False, None
    if result.ades_subindic == AdESPassed.OK:
        return True, None
    return False, revoked_in_known_crls(sig.signer_cert, trust)


async def _held_by_later_timestamps(sig: Any, status: Any, trust: Trust, dss: Any) -> Any | None:
    """The signature's status at the moment its own time-stamp proves, when
    a document time-stamp added later covers it (archive renewal), or None.

    ETSI EN 319 142-1's long-term rule, as pyHanko's former
    ``validate_pdf_ltv_signature`` applied it: the document time-stamp
    proves that the signature, its time-stamp and the validation data
    embedded with them existed at its own time; the signature is then
    validated at its time-stamp's moment with that embedded data (every
    certificate of the paths, intermediates included, valid then). Each
    document time-stamp is validated in its own entry of the report (the
    newest today, each other at the moment of the next) and the report is
    valid only if they all are. Needed because the AdES process of
    pyhanko-certvalidator 0.33 does not slide back over an intermediate CA
    that has expired since (docs/signing.md, "Archive renewal")."""
    stamped = status.timestamp_validity
    if stamped is None or not (stamped.intact and stamped.valid):
        return None
    later = [
        s
        for s in sig.reader.embedded_timestamp_signatures
        if s.signed_revision > sig.signed_revision
    ]
    if not later:
        return None
    past = await _status(sig, trust, stamped.timestamp, dss, "hard-fail", retroactive=True)
    past_ts = past.timestamp_validity
    if (
        past.intact
        and past.valid
        and past.trusted
        and past.revocation_details is None
        and past_ts is not None
        and past_ts.intact
        and past_ts.valid
        and past_ts.trusted
    ):
        return past
    return None


async def _checked_status(
    sig: Any, trust: Trust, moment: datetime | None, dss: DocumentSecurityStore | None, cert: Any
) -> tuple[Any, str, datetime | None]:
    """pyHanko's status of ``sig``, its revocation state and when it was
    revoked: first with revocation checks that must answer; if that is what
    fails, again without, to tell "revocation unknown" from "untrusted"."""
    is_doc_ts = sig.sig_object_type == "/DocTimeStamp"
    status = await _status(sig, trust, moment, dss, "hard-fail")
    revocation = "good" if cert is not None and _has_revocation_sources(cert) else "not_applicable"
    if status.revocation_details is not None:
        revoked_at = status.revocation_details.revocation_date
        ts = None if is_doc_ts else status.timestamp_validity
        if ts is not None and ts.intact and ts.valid and ts.trusted and ts.timestamp < revoked_at:
            # Time-stamped before the revocation: validate the signature as
            # it stood then, with the revocation data known now (which
            # shows the certificate still good at that moment).
            past = await _status(sig, trust, ts.timestamp, dss, "hard-fail", retroactive=True)
            if past.trusted and past.revocation_details is None:
                status = past
        return status, "revoked", revoked_at
    if not status.trusted:
        soft = await _status(sig, trust, moment, dss, "soft-fail")
        if soft.trusted:
            return soft, "unknown", None
        if soft.revocation_details is not None:
            return soft, "revoked", soft.revocation_details.revocation_date
    return status, revocation, None


async def _long_term_status(
    sig: Any,
    status: Any,
    revocation: str,
    revoked_at: datetime | None,
    trust: Trust,
    moment: datetime | None,
    dss: DocumentSecurityStore | None,
) -> tuple[Any, bool, str, datetime | None]:
    """For a signature not trusted today: whether it held when it was made
    (long-term validation, or a later document time-stamp); the status,
    that verdict, and the revocation state as they then stand."""
    is_doc_ts = sig.sig_object_type == "/DocTimeStamp"
    if status.trusted or revocation == "revoked":
        return status, False, revocation, revoked_at
    if not is_doc_ts and dss is not None:
        # Not trusted today, typically because the certificate has expired
        # since: the validation data embedded at signing and the time-stamps
        # may prove it was valid when it was made (long-term validation).
        long_term, revoked_since = await _long_term_valid(sig, trust, moment)
        if revoked_since is not None:
            return status, False, "revoked", revoked_since
        if not long_term:
            held = await _held_by_later_timestamps(sig, status, trust, dss)
            if held is not None:
                return held, True, revocation, revoked_at
        return status, long_term, revocation, revoked_at
    if is_doc_ts:
        # A document time-stamp whose certificate has ended since holds if
        # the next one (archive renewal) proves it was valid at that moment.
        later = [
            s
            for s in sig.reader.embedded_timestamp_signatures
            if s.signed_revision > sig.signed_revision
        ]
        if later:
            past = await _status(
                sig, trust, document_timestamp_time(later[0]), dss, "soft-fail", retroactive=True
            )
            return status, bool(past.trusted and past.intact and past.valid), revocation, revoked_at
    return status, False, revocation, revoked_at


async def _validate_one(
    sig: Any,
    trust: Trust,
    moment: datetime | None,
    dss: DocumentSecurityStore | None,
    doc_ts_revisions: list[int],
) -> SignatureReport:
    is_doc_ts = sig.sig_object_type == "/DocTimeStamp"
    field_name = str(sig.field_name)
    problems: list[str] = []
    try:
        cert = sig.signer_cert
    except Exception:
        cert = None
    try:
        status, revocation, revoked_at = await _checked_status(sig, trust, moment, dss, cert)
    except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
        return _unvalidatable_signature(field_name, sig.sig_object, exc, cert=cert)
    status, long_term, revocation, revoked_at = await _long_term_status(
        sig, status, revocation, revoked_at, trust, moment, dss
    )
    signer_cert = status.signing_cert
    modification_level = status.modification_level
    modifications = modification_level.name.lower() if modification_level is not None else "none"
    coverage = (
        "unknown" if status.coverage is None else COVERAGE_LEVELS.get(status.coverage, "partial")
    )
    changes = later_changes(sig, status) if coverage == "later_revisions" else ()
    if coverage == "partial":
        problems.append(PROBLEM_PARTIAL_COVERAGE)
    elif status.docmdp_ok is False:
        certified = not is_doc_ts and sig.docmdp_level is not None
        problems.append(PROBLEM_CERTIFICATION if certified else PROBLEM_MODIFIED)
    if not is_doc_ts and not status.seed_value_ok:
        problems.append(PROBLEM_SEED_VALUE)
    if is_doc_ts:
        ts_time, tsa = status.timestamp, name_attribute(signer_cert.subject, "common_name")
        signing_time = status.timestamp
        level: Level | None = None
    else:
        ts = status.timestamp_validity
        ts_time = ts.timestamp if ts is not None else None
        tsa = name_attribute(ts.signing_cert.subject, "common_name") if ts is not None else ""
        signing_time = status.signer_reported_dt
        if ts is not None and not (ts.intact and ts.valid and ts.trusted) and not long_term:
            problems.append(PROBLEM_TIMESTAMP)
        level = Level.B_T if ts is not None else Level.B_B
        if level == Level.B_T and dss is not None:
            level = Level.B_LT
            if any(rev > sig.signed_revision for rev in doc_ts_revisions):
                level = Level.B_LTA
    docmdp = sig.docmdp_level
    return SignatureReport(
        field_name=field_name,
        kind="document_timestamp" if is_doc_ts else "signature",
        signer=name_attribute(signer_cert.subject, "common_name"),
        signer_national_number=name_attribute(signer_cert.subject, "serial_number"),
        issuer=name_attribute(signer_cert.issuer, "common_name"),
        signing_time=signing_time,
        timestamp_time=ts_time,
        timestamp_authority=tsa,
        intact=bool(status.intact and status.valid),
        bytes_unchanged=bool(status.intact),
        signature_verifies=bool(status.valid),
        trust_anchor=anchor_name(status),
        covers_whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        coverage=coverage,
        later_revisions=max(0, sig.reader.xrefs.total_revisions - 1 - sig.signed_revision),
        changes=changes,
        changes_allowed=status.docmdp_ok,
        modifications=modifications,
        trusted=bool(status.trusted) or long_term,
        long_term=long_term,
        revocation=revocation,
        level=level,
        certification=docmdp.name.lower() if docmdp is not None else "",
        problems=tuple(problems),
        revoked_at=revoked_at,
    )
