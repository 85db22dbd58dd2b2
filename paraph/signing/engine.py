"""The one module of Paraph that talks to pyHanko.

Everything else asks it to sign (with a key Paraph holds), to prepare and
finish a two-step signature (with a key on an eID card), to check a card's
signing certificate, or to validate a signed PDF. Inputs and outputs are
bytes and frozen dataclasses; failures are Paraph's own exceptions
(:mod:`paraph.signing.exceptions`), never pyHanko's. Every function takes
the PDF as bytes and returns new bytes: the original is never changed.

Signatures are PAdES (ETSI EN 319 142, subfilter ``ETSI.CAdES.detached``)
at baseline B-T (an RFC 3161 time-stamp on every signature) by default;
B-LT adds the validation data in the document security store after the
signature and B-LTA a document time-stamp over it. The extension to LT and
LTA is the same for every kind of signature (see :func:`_extend`), which is
why the two-step flow keeps no pyHanko objects between its two requests.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy as pycopy
import enum
import functools
import hashlib
import io
import logging
import re
import threading
from collections.abc import Coroutine, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from asn1crypto import algos, cms, tsp, x509
from asn1crypto import crl as asn1_crl
from cryptography import x509 as crypto_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import misc as pdf_misc
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.attributes import CMSAttributeProvider, SigningCertificateV2Provider
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import as_signing_certificate_v2, get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_byterange import PdfByteRangeDigest, PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import (
    PdfTBSDocument,
    PdfTimeStamper,
)
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
    read_certification_data,
)
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import collect_validation_info
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms, extract_tst_data_iter
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import BaseStamp, BaseStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.errors import (
    InvalidCertificateError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)
from pyhanko_certvalidator.fetchers.api import Fetchers
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore, SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from paraph.signing import der, fetching, hexreader, stamplayout
from paraph.signing.exceptions import (
    CertificateRejected,
    DocumentRejected,
    SignatureValueMismatch,
    SigningError,
    TimestampUnavailable,
)
from paraph.signing.metrics import signature_observed
from paraph.signing.providers import SigningKey, TimestampAuthority

log = logging.getLogger(__name__)

hexreader.install()  # /Contents read at once, not one byte at a time

# What a signature report says is wrong (English; pages show them translated
# through the signing app's ``problem_text`` filter).
PROBLEM_UNVALIDATABLE = "the signature cannot be validated"
PROBLEM_CERTIFICATION = "the document was changed in a way its certification forbids"
PROBLEM_SEED_VALUE = "the signature breaks its field's seed value constraints"
PROBLEM_TIMESTAMP = "the signature's time-stamp is not valid or not trusted"
PROBLEM_MODIFIED = "the document was changed after this signature in a way it does not allow"
PROBLEM_PARTIAL_COVERAGE = "the signature does not cover the whole of its own revision"
# What the revisions added after a signature did (``SignatureReport.changes``).
CHANGE_KINDS = (
    "validation_data",  # validation data and document time-stamps (B-LT, B-LTA)
    "signatures",  # further signatures
    "form_filling",  # values of form fields
    "annotations",  # comments and other annotations added, changed or removed
    "pages_added",
    "pages_removed",
    "content_changed",  # what a page draws: its content or the images and forms it shows
    "other",  # something else the difference analysis does not allow
)
# What a report notes about the document as a whole.
NOTE_LENIENT = "read leniently"

T = TypeVar("T")

__all__ = [
    "Appearance",
    "ArchiveState",
    "CardCertificate",
    "EngineConfig",
    "Level",
    "Placement",
    "PreparedSignature",
    "SignOptions",
    "SignatureReport",
    "SignatureSlot",
    "Trust",
    "ValidationReport",
    "archive_renew",
    "archive_state",
    "async_archive_renew",
    "async_finish_external",
    "async_prepare_external",
    "async_sign_pdf",
    "async_validate_pdf",
    "check_readable",
    "check_signing_certificate",
    "check_structure",
    "common_name",
    "finish_external",
    "newest_signature_revision",
    "prepare_external",
    "sign_pdf",
    "validate_pdf",
]


class Level(enum.StrEnum):
    """PAdES baseline levels Paraph produces and recognises."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


@dataclass(frozen=True)
class Trust:
    """Explicit trust: the roots (never the operating system's store), the
    intermediate CA certificates to build paths with, revocation data known
    in advance (Paraph's own CRL), and whether OCSP/CRL may be fetched from
    the URLs in certificates. All certificates and CRLs are DER bytes."""

    roots: tuple[bytes, ...]
    intermediates: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()
    allow_fetching: bool = True


@dataclass(frozen=True)
class EngineConfig:
    trust: Trust
    timestamp_authority: TimestampAuthority
    level: Level = Level.B_T
    max_bytes: int = 50 * 1024 * 1024
    # OCSP answers, CRLs and issuer certificates fetched to extend one
    # signature to B-LT/B-LTA are reused for the next ones during this many
    # seconds (see :mod:`paraph.signing.fetching`); 0 fetches every time.
    fetched_max_age: float = 60


class DocMdp(enum.StrEnum):
    """What a certifying signature allows later (ISO 32000 DocMDP)."""

    NO_CHANGES = "no_changes"
    FILL_FORMS = "fill_forms"  # form filling and further signatures
    ANNOTATE = "annotate"


_DOCMDP = {
    DocMdp.NO_CHANGES: fields.MDPPerm.NO_CHANGES,
    DocMdp.FILL_FORMS: fields.MDPPerm.FILL_FORMS,
    DocMdp.ANNOTATE: fields.MDPPerm.ANNOTATE,
}


# The smallest box a visible signature accepts, in points (about 5 x 1.4 cm).
MIN_BOX_WIDTH = 140.0
MIN_BOX_HEIGHT = 40.0


@dataclass(frozen=True)
class Placement:
    """Where a visible signature goes. ``page`` counts from 0, negative
    from the end (-1, the default, is the last page). ``box`` is
    ``(x1, y1, x2, y2)`` in PDF points from the page's lower-left corner,
    at least :data:`MIN_BOX_WIDTH` x :data:`MIN_BOX_HEIGHT`; ``None`` (the
    default) is the next free slot along the bottom of the page: two
    side by side, then a row higher, so signatures never cover each other."""

    page: int = -1
    box: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if self.box is not None:
            x1, y1, x2, y2 = self.box
            if x2 - x1 < MIN_BOX_WIDTH or y2 - y1 < MIN_BOX_HEIGHT:
                raise ValueError(
                    f"a signature box is at least {MIN_BOX_WIDTH:g} x {MIN_BOX_HEIGHT:g} "
                    f"points, not {self.box}"
                )


@dataclass(frozen=True)
class Appearance:
    """What a visible signature shows: ``lines`` of text, the first in bold
    (the signer's name), fitted to the box at ``placement``. The caller
    writes the lines in the signer's language."""

    lines: tuple[str, ...]
    placement: Placement = Placement()


@dataclass(frozen=True)
class SignatureSlot:
    """An empty signature field, made with a signature for one that follows
    (a certifying seal prepares the fields the contract's signers fill):
    its name and where it goes."""

    field_name: str
    placement: Placement = Placement()


@dataclass(frozen=True)
class SignOptions:
    """One signature's description. ``field_name`` defaults to a fresh
    ``Signature<n>``; ``certify`` makes it a certification signature
    (DocMDP) that allows what ``docmdp`` says; ``level`` overrides the
    configured level for this signature; ``appearance`` makes it visible
    (without one the signature has no picture on any page); ``slots`` are
    empty signature fields added in the same revision, for the signatures
    that follow (their appearance is made when they are filled)."""

    field_name: str | None = None
    reason: str | None = None
    location: str | None = None
    signer_name: str | None = None
    contact_info: str | None = None
    certify: bool = False
    docmdp: DocMdp = DocMdp.FILL_FORMS
    level: Level | None = None
    appearance: Appearance | None = None
    slots: tuple[SignatureSlot, ...] = ()


# --- running pyHanko's async API from sync code -----------------------------


_runners = threading.local()


def _run_here(coro: Coroutine[Any, Any, T]) -> T:
    # One event loop per thread, kept: a new loop (and its executor) per
    # document costs more than signing the document does. Not asyncio.run /
    # asyncio.Runner: in the main thread they install a SIGINT handler whose
    # setup formats the task's repr, arguments included (the whole PDF).
    loop = getattr(_runners, "loop", None)
    if loop is None or loop.is_closed():
        loop = _runners.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coro)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when the caller is
    itself inside an event loop (an async view): then in a worker thread."""
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not in_loop:
        return _run_here(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run_once, coro).result()


def _run_once(coro: Coroutine[Any, Any, T]) -> T:
    # In a thread that ends afterwards: a loop of its own, closed with what
    # it fetched (an HTTP session left open would leak).
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(fetching.forget())
        loop.close()


async def _release(*contexts: ValidationContext | None) -> None:
    for context in contexts:
        if context is not None:
            await context.aclose()


# --- adapters from Paraph's providers to pyHanko ----------------------------


@functools.lru_cache(maxsize=256)
def _parse_cert(der: bytes) -> x509.Certificate:
    cert = x509.Certificate.load(der)
    cert.native  # noqa: B018 - forces a full parse, so damage shows here
    return cert


def _load_cert(der: bytes, what: str = "certificate") -> x509.Certificate:
    """A parsed certificate (parsed once per process: they are not changed)."""
    try:
        return _parse_cert(bytes(der))
    except (ValueError, TypeError) as exc:
        raise CertificateRejected(
            f"the {what} is not a DER X.509 certificate", code="malformed"
        ) from exc


def common_name(certificate: bytes) -> str:
    """The subject common name of a DER certificate (for appearances)."""
    return _name_attr(_load_cert(certificate).subject, "common_name")


def _digest_algorithm_for(cert: x509.Certificate) -> str:
    """SHA-256 for RSA and P-256 keys, SHA-384 for P-384 (Belgian cards from
    applet 1.8), SHA-512 for P-521."""
    key = cert.public_key
    if key.algorithm == "ec":
        return {"secp384r1": "sha384", "secp521r1": "sha512"}.get(key.curve[1], "sha256")
    return "sha256"


def _signature_size(cert: x509.Certificate) -> int:
    key = cert.public_key
    if key.algorithm == "rsa":
        return (key.bit_size + 7) // 8
    # DER Ecdsa-Sig-Value: two INTEGERs of at most (n + 1) bytes, with headers
    return 2 * ((key.bit_size + 7) // 8 + 1) + 8


class _ProviderSigner(signers.Signer):
    """A pyHanko signer over a :class:`SigningKey`: the key is loaded once,
    by the provider, however many documents it signs."""

    def __init__(self, key: SigningKey) -> None:
        cert = _load_cert(key.certificate, "signing certificate")
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs(
                [_load_cert(c, "chain certificate") for c in key.chain]
            ),
        )
        self._key = key
        self._size = _signature_size(cert)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(self._size)
        return self._key.sign(data, digest_algorithm)

    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # The signing-certificate attribute is the same for every document a
        # key signs; asn1crypto takes milliseconds to build it, so it is
        # built once. (Overrides an internal pyHanko hook; pinned below 0.39.)
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if isinstance(provider, SigningCertificateV2Provider):
                yield self._signing_certificate_attribute
            else:
                yield provider

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: PdfCMSSignedAttributes | None = None,
        content_type: str = "data",
        use_pades: bool = False,
        timestamper: Any = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> cms.CMSAttributes:
        # A PAdES signature's signed attributes are its content type, the
        # document's digest and the signing certificate: two of the three are
        # the same for every document, so the set is assembled from their
        # DER and the digest (DER sorts a SET OF by encoding) rather than
        # re-encoded by asn1crypto. Anything else is pyHanko's. (Overrides a
        # pyHanko method; pinned below 0.39; a test compares both outputs.)
        providers = list(
            self._signed_attr_providers(
                data_digest=data_digest,
                digest_algorithm=digest_algorithm,
                attr_settings=attr_settings or PdfCMSSignedAttributes(),
                timestamper=timestamper,
                use_cades=use_pades,
                is_pdf_sig=is_pdf_sig,
            )
        )
        if content_type != "data" or providers != [self._signing_certificate_attribute]:
            return await super().signed_attrs(
                data_digest,
                digest_algorithm,
                attr_settings=attr_settings,
                content_type=content_type,
                use_pades=use_pades,
                timestamper=timestamper,
                dry_run=dry_run,
                is_pdf_sig=is_pdf_sig,
            )
        message_digest = der.tlv(
            der.SEQUENCE, _MESSAGE_DIGEST_OID + der.tlv(der.SET, der.tlv(der.OCTETS, data_digest))
        )
        encoded = sorted(
            (_CONTENT_TYPE_DATA, message_digest, self._signing_certificate_attribute.der)
        )
        return cms.CMSAttributes.load(der.tlv(der.SET, b"".join(encoded)))

    def _package_signature(
        self,
        *,
        digest_algorithm: str,
        cms_version: Any,
        signed_attrs: cms.CMSAttributes,
        signature: bytes,
        unsigned_attrs: cms.CMSAttributes | None,
        encap_content_info: Any,
    ) -> cms.ContentInfo:
        # pyHanko's SignedData (RFC 5652 §5), assembled from bytes: the parts
        # that are the same for every document a key signs (the signer's
        # identifier, the algorithms, the certificate set) are encoded once,
        # and the signed attributes, the signature and its time-stamp, all
        # encoded already, are placed as they are. Built as a new asn1crypto
        # structure, the same SignedData re-encoded every certificate and the
        # time-stamp token (half a millisecond per document). (Overrides an
        # internal pyHanko method; pinned below 0.39.)
        if self.attribute_certs:
            return super()._package_signature(
                digest_algorithm=digest_algorithm,
                cms_version=cms_version,
                signed_attrs=signed_attrs,
                signature=signature,
                unsigned_attrs=unsigned_attrs,
                encap_content_info=encap_content_info,
            )
        parts = self._signed_data_parts(digest_algorithm, cms_version)
        signer_info = der.tlv(
            der.SEQUENCE,
            parts.signer_head
            + _implicit(der.CONTEXT_0, signed_attrs.dump())
            + parts.signature_algorithm
            + der.tlv(der.OCTETS, signature)
            + (_implicit(der.CONTEXT_1, unsigned_attrs.dump()) if unsigned_attrs else b""),
        )
        encap = (
            parts.data_content
            if encap_content_info is None
            else bytes(cms.EncapsulatedContentInfo(encap_content_info).dump())
        )
        signed_data = der.tlv(
            der.SEQUENCE,
            parts.version
            + parts.digest_algorithms
            + encap
            + self._certificate_set
            + der.tlv(der.SET, signer_info),
        )
        return cms.ContentInfo.load(
            der.tlv(der.SEQUENCE, _SIGNED_DATA_OID + der.tlv(der.CONTEXT_0, signed_data))
        )

    @functools.cache  # noqa: B019 (one signer per key, kept by _signer)
    def _signed_data_parts(self, digest_algorithm: str, cms_version: Any) -> _SignedDataParts:
        cert = self.signing_cert
        assert cert is not None  # set in __init__
        digest = bytes(algos.DigestAlgorithm({"algorithm": digest_algorithm}).dump())
        sid = cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number}
        ).dump()
        return _SignedDataParts(
            version=bytes(cms.CMSVersion(cms_version).dump()),
            digest_algorithms=der.tlv(der.SET, digest),
            data_content=bytes(cms.EncapsulatedContentInfo({"content_type": "data"}).dump()),
            signer_head=der.integer(1) + bytes(sid) + digest,
            signature_algorithm=bytes(
                self.get_signature_mechanism_for_digest(digest_algorithm).dump()
            ),
        )

    @functools.cached_property
    def _certificate_set(self) -> bytes:
        """The DER of the SignedData's ``[0] certificates``: the signing
        certificate and the chain (roots too, as pyHanko embeds them)."""
        certs = [
            cms.CertificateChoices(name="certificate", value=cert)
            for cert in self.cert_registry or ()
            if self.embed_roots or cert.self_signed == "no"
        ]
        certs.append(cms.CertificateChoices(name="certificate", value=self.signing_cert))
        unique = {c.dump(): c for c in certs}
        probe = cms.SignedData({"certificates": list(unique.values())})
        return bytes(probe["certificates"].dump())

    @functools.cached_property
    def _signing_certificate_attribute(self) -> _FixedAttribute:
        value = as_signing_certificate_v2(self.signing_cert)
        return _FixedAttribute(
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [value]}).dump()
        )


_SIGNED_DATA_OID = bytes(cms.ContentType("signed_data").dump())
_MESSAGE_DIGEST_OID = bytes(cms.CMSAttributeType("message_digest").dump())
_CONTENT_TYPE_DATA = bytes(
    cms.CMSAttribute({"type": "content_type", "values": [cms.ContentType("data")]}).dump()
)


@dataclass(frozen=True)
class _SignedDataParts:
    """The DER of what a key's SignedData repeats for every document."""

    version: bytes
    digest_algorithms: bytes
    data_content: bytes
    signer_head: bytes  # version, issuer and serial number, digest algorithm
    signature_algorithm: bytes


def _implicit(tag: int, encoded: bytes) -> bytes:
    """``encoded`` (a DER SET) under an IMPLICIT context tag: the same
    length and content, another identifier octet."""
    return bytes((tag,)) + encoded[1:]


class _FixedAttribute(CMSAttributeProvider):
    attribute_type = "signing_certificate_v2"

    def __init__(self, encoded: bytes) -> None:
        self.der = encoded

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        return cms.CMSAttribute.load(self.der)


class _AuthorityTimeStamper(TimeStamper):
    """A pyHanko time-stamper over a :class:`TimestampAuthority`."""

    def __init__(self, authority: TimestampAuthority) -> None:
        super().__init__(include_nonce=True)
        self._authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        # A signature waits for its time-stamp anyway; the loop runs nothing else.
        raw = self._authority.request(req.dump())
        try:
            return tsp.TimeStampResp.load(raw)
        except ValueError as exc:
            raise TimestampRequestError("the time-stamp authority's answer is not DER") from exc


_signers: dict[int, tuple[SigningKey, _ProviderSigner]] = {}


def _signer(key: SigningKey) -> _ProviderSigner:
    """One pyHanko signer per key object (certificates parsed once)."""
    cached = _signers.get(id(key))
    if cached is None or cached[0] is not key:
        if len(_signers) > 64:
            _signers.clear()
        cached = (key, _ProviderSigner(key))
        _signers[id(key)] = cached
    return cached[1]


_timestampers: dict[int, tuple[TimestampAuthority, _AuthorityTimeStamper]] = {}


def _timestamper(authority: TimestampAuthority) -> _AuthorityTimeStamper:
    """One pyHanko time-stamper per authority, so the placeholder token used to
    size signatures is fetched once, not per document."""
    cached = _timestampers.get(id(authority))
    if cached is None or cached[0] is not authority:
        cached = (authority, _AuthorityTimeStamper(authority))
        _timestampers[id(authority)] = cached
    return cached[1]


def _validation_context(
    trust: Trust,
    *,
    revocation_mode: str = "soft-fail",
    moment: datetime | None = None,
    dss: DocumentSecurityStore | None = None,
    retroactive: bool = False,
    fetchers: Fetchers | None = None,
) -> ValidationContext:
    kwargs: dict[str, Any] = {
        "retroactive_revinfo": retroactive,
        "trust_roots": [_load_cert(c, "trust root") for c in trust.roots],
        "other_certs": [_load_cert(c, "intermediate CA certificate") for c in trust.intermediates],
        "crls": list(trust.crls),
        "ocsps": list(trust.ocsps),
        "allow_fetching": trust.allow_fetching,
        "revocation_mode": revocation_mode,
    }
    if fetchers is not None and trust.allow_fetching:
        kwargs["fetchers"] = fetchers
    if moment is not None:
        kwargs["moment"] = moment
    if dss is not None:
        return dss.as_validation_context(kwargs)
    return ValidationContext(**kwargs)


# --- reading input ----------------------------------------------------------


def _open(data: bytes, *, strict: bool) -> PdfFileReader:
    """pyHanko's reader over ``data``, its catalogue parsed (unless the
    file is encrypted); raises whatever pyHanko raises on a damaged file."""
    reader = PdfFileReader(io.BytesIO(data), strict=strict)
    if not reader.encrypted:
        reader.root  # noqa: B018 - parses the catalogue through the xref table
    return reader


def _reason(exc: BaseException) -> str:
    """A one-line reason for a report or a log: the exception's message
    (pyHanko and asn1crypto write several lines) and its kind."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    kind = exc.__class__.__name__
    return f"{text} ({kind})" if text else f"its data is inconsistent ({kind})"


def _check_document(data: bytes, max_bytes: int) -> PdfFileReader:
    """A strict reader over ``data``, or a precise :class:`DocumentRejected`."""
    return _read_document(data, max_bytes, lenient=False)[0]


def _read_document(
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
            reader = _open(data, strict=True)
        except Exception as exc:  # pyHanko raises many kinds on damaged files
            if not lenient:
                raise
            reader = _open(data, strict=False)
            note = f"{NOTE_LENIENT}: {_reason(exc)}"
    except Exception as exc:
        raise DocumentRejected(
            f"the PDF is damaged and cannot be read ({_reason(exc)})", code="damaged"
        ) from exc
    if reader.encrypted:
        raise DocumentRejected(
            "the PDF is encrypted (password-protected); ask for an unprotected copy",
            code="encrypted",
        )
    return reader, note


# Page trees are a few levels deep; more is damage (or an attack on a reader's
# recursion), as is a node met twice.
_MAX_PAGE_TREE_DEPTH = 64


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
    if depth > _MAX_PAGE_TREE_DEPTH:
        raise _page_tree_broken(f"it is more than {_MAX_PAGE_TREE_DEPTH} levels deep")
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
        raise _page_tree_broken(f"{label} cannot be read ({_reason(exc)})") from exc
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
    ends = {int(start) + int(length) for _, start, length in _BYTE_RANGE.findall(data)}
    earlier = [end for end in ends if end < len(data)]
    return data[: max(earlier)] if earlier and len(data) in ends else data


def check_structure(data: bytes) -> None:
    """Refuse with :class:`DocumentRejected` a PDF whose cross-reference
    sections, trailer and catalogue a strict reader refuses (cheaper than
    :func:`check_readable`, which also reads every object)."""
    _check_document(data, len(data))


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
    reader = _check_document(data, max_bytes)
    try:
        pages = _count_pages(reader.root.raw_get("/Pages"), set(), 0, is_root=True)
        _read_every_object(reader)
    except DocumentRejected:
        raise
    except KeyError as exc:
        raise _page_tree_broken("the document has no page tree") from exc
    except pdf_misc.PdfStrictReadError as exc:
        raise DocumentRejected(
            f"the PDF breaks the PDF standard and is read only leniently ({_reason(exc)})",
            code="malformed",
        ) from exc
    except Exception as exc:  # RecursionError on absurd nesting, PdfReadError...
        raise DocumentRejected(
            f"the PDF is damaged and cannot be read ({_reason(exc)})", code="damaged"
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
    reader = _check_document(data, max_bytes)
    certified = _check_not_locked(reader)
    try:
        names = frozenset(name for name, _, _ in fields.enumerate_sig_fields(reader))
        count = len(reader.embedded_signatures)
    except Exception as exc:
        raise DocumentRejected(
            f"the PDF's signature fields cannot be read: {exc}", code="damaged"
        ) from exc
    return SigningState(signatures=count, certified=certified, field_names=names)


def _check_not_locked(reader: PdfFileReader) -> bool:
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


_COPY_SLICE = 1 << 20


class _Writer(IncrementalPdfFileWriter):
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
        return _find_page(self, page_ix)

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
    writer: _Writer,
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


def _find_page(handler: Any, page_ix: int) -> tuple[generic.IndirectObject, Any]:
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
    for _ in range(_MAX_PAGE_TREE_DEPTH):
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


def _writer(reader: PdfFileReader) -> IncrementalPdfFileWriter:
    try:
        return _Writer.from_reader(reader)
    except Exception as exc:  # same reasons as in _check_document
        raise DocumentRejected(f"the PDF cannot be updated: {exc}", code="damaged") from exc


def _map_pyhanko_errors(exc: Exception) -> SigningError:
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


def _metadata(
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
        docmdp_permissions=_DOCMDP[options.docmdp],
    )


def _field_name(reader: PdfFileReader, options: SignOptions) -> str:
    if options.field_name:
        return options.field_name
    taken = {name for name, _, _ in fields.enumerate_sig_fields(reader)}
    n = 1
    while f"Signature{n}" in taken:
        n += 1
    return f"Signature{n}"


# --- visible signatures -----------------------------------------------------

_BORDER_COLOUR = (0.16, 0.29, 0.55)
_INK = (0.08, 0.08, 0.12)
_SLOT_MARGIN = 36.0  # from the page's left, right and bottom edges
_SLOT_GAP = 8.0
_SLOT_HEIGHT = 56.0


def _font(bold: bool) -> generic.DictionaryObject:
    name = "/Helvetica-Bold" if bold else "/Helvetica"
    return generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject(name),
            generic.NameObject("/Encoding"): generic.NameObject("/WinAnsiEncoding"),
            generic.NameObject("/FirstChar"): generic.NumberObject(32),
            generic.NameObject("/LastChar"): generic.NumberObject(255),
            generic.NameObject("/Widths"): generic.ArrayObject(
                generic.NumberObject(w) for w in stamplayout.widths(bold)
            ),
        }
    )


# Written into each document, built once per process.
_FONTS = {False: _font(False), True: _font(True)}
_FONT_NAMES = {False: b"/PhR", True: b"/PhB"}


class _TextStamp(BaseStamp):
    """A white box with a thin border and the lines, fitted to the box: in
    Helvetica, which every viewer has and which costs nothing to embed, when
    WinAnsiEncoding shows every letter; otherwise, and in a document that
    claims PDF/A (every font embedded), in DejaVu Sans, subset and embedded,
    so that "Łukasz Żółć" or "Άννα" appear as they are."""

    def __init__(
        self,
        writer: Any,
        style: BaseStampStyle,
        box: Any,
        lines: tuple[str, ...],
        *,
        embed_fonts: bool,
    ):
        super().__init__(writer, style, box)
        self._lines = lines
        self._embed = embed_fonts or not stamplayout.winansi_exact(lines)

    def _render_inner_content(self) -> list[bytes]:
        width, height = self.box.width, self.box.height
        ops = [b"1 1 1 rg 0 0 %.2f %.2f re f" % (width, height), b"%g %g %g rg" % _INK]
        if self._embed:
            return ops + self._embedded_lines(width, height)
        for bold in (False, True):
            self.set_resource(
                category=ResourceType.FONT,
                name=generic.NameObject(_FONT_NAMES[bold].decode()),
                value=_FONTS[bold],
            )
        for line in stamplayout.layout(self._lines, width, height):
            ops.append(
                b"BT %s %.2f Tf %.2f %.2f Td <%s> Tj ET"
                % (_FONT_NAMES[line.bold], line.size, line.x, line.y, line.text.hex().encode())
            )
        return ops

    def _embedded_lines(self, width: float, height: float) -> list[bytes]:
        # fontTools and HarfBuzz are big: imported by the first stamp that
        # needs them, not by every process that signs
        from paraph.signing import stampfont

        writer = self.writer
        assert writer is not None
        engines = {
            bold: stampfont.StampGlyphs(writer, bold=bold, font_size=10) for bold in (False, True)
        }
        for bold, engine in engines.items():
            self.set_resource(
                category=ResourceType.FONT,
                name=generic.NameObject(_FONT_NAMES[bold].decode()),
                value=engine.as_resource(),
            )
        ops = []
        with stampfont.LOCK:  # the fonts are shared by the process's threads
            lines = stamplayout.layout_measured(
                [stamplayout.printable(line) for line in self._lines],
                width,
                height,
                measure=lambda text, bold: engines[bold].shape(text).x_advance,
                ellipsis=stamplayout.ELLIPSIS,
            )
            for line in lines:
                engine = engines[line.bold]
                # positions within the line, in points (pyHanko types it int)
                engine.font_size = line.size  # type: ignore[assignment]
                ops.append(
                    b"BT %s %.2f Tf %.2f %.2f Td %s ET"
                    % (
                        _FONT_NAMES[line.bold],
                        line.size,
                        line.x,
                        line.y,
                        engine.shape(line.text).graphics_ops,
                    )
                )
        return ops


@dataclass(frozen=True)
class _TextStampStyle(BaseStampStyle):
    """Paraph's appearance: the lines come with each document (pyHanko's
    ``appearance_text_params``), so one style serves every signature."""

    def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> BaseStamp:
        return _TextStamp(
            writer,
            self,
            box,
            tuple(text_params.get("paraph_lines", ())),
            embed_fonts=bool(text_params.get("paraph_embed_fonts")),
        )


_STAMP_STYLE = _TextStampStyle(border_width=1, border_color=_BORDER_COLOUR)


def _inherited(page: generic.DictionaryObject, key: str) -> Any:
    node: Any = page
    for _depth in range(64):  # page trees are shallow; a loop is damage
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"]
    return None


def _page_box(page: generic.DictionaryObject) -> tuple[float, float, float, float]:
    box = _inherited(page, "/CropBox") or _inherited(page, "/MediaBox")
    if box is None or len(box) != 4:
        return (0.0, 0.0, 595.0, 842.0)  # A4, what a viewer assumes
    x1, y1, x2, y2 = (float(v) for v in box)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _signature_rects(page: generic.DictionaryObject) -> list[tuple[float, float, float, float]]:
    """The boxes of the visible signature fields already on ``page``."""
    rects = []
    for ref in page.get("/Annots") or ():
        annot = ref.get_object()
        field_type = annot.get("/FT") or (
            annot["/Parent"].get("/FT") if "/Parent" in annot else None
        )
        rect = annot.get("/Rect")
        if field_type != "/Sig" or rect is None or len(rect) != 4:
            continue
        x1, y1, x2, y2 = (float(v) for v in rect)
        if abs(x2 - x1) > 1 and abs(y2 - y1) > 1:
            rects.append((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    return rects


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _free_slot(
    page_box: tuple[float, float, float, float], taken: list[tuple[float, float, float, float]]
) -> tuple[float, float, float, float]:
    """The first slot along the bottom of the page that no signature covers:
    two per row, rows going up; the first slot if the page is full."""
    px1, py1, px2, py2 = page_box
    width = max(MIN_BOX_WIDTH, (px2 - px1 - 2 * _SLOT_MARGIN - _SLOT_GAP) / 2)
    slots = []
    row = 0
    while True:
        y1 = py1 + _SLOT_MARGIN + row * (_SLOT_HEIGHT + _SLOT_GAP)
        if y1 + _SLOT_HEIGHT > py2 - _SLOT_MARGIN or row > 20:
            break
        for col in range(2):
            x1 = px1 + _SLOT_MARGIN + col * (width + _SLOT_GAP)
            if x1 + width <= px2:
                slots.append((x1, y1, x1 + width, y1 + _SLOT_HEIGHT))
        row += 1
    for slot in slots:
        if not any(_overlaps(slot, rect) for rect in taken):
            return slot
    return slots[0] if slots else (px1, py1, px1 + MIN_BOX_WIDTH, py1 + MIN_BOX_HEIGHT)


class _FieldPlanner:
    """Boxes for the new signature fields of one revision, each in the next
    free slot of its page unless the caller chose one."""

    def __init__(self, reader: PdfFileReader) -> None:
        self._reader = reader
        self._taken: dict[int, list[tuple[float, float, float, float]]] = {}
        try:
            self._count = int(reader.root["/Pages"]["/Count"])
        except Exception as exc:
            raise DocumentRejected(
                f"the PDF's pages cannot be read: {exc}", code="damaged"
            ) from exc

    def spec(self, field_name: str, placement: Placement) -> fields.SigFieldSpec:
        """A new visible field at ``placement``, or :class:`DocumentRejected`
        (``placement``) when the page does not exist or the box leaves it."""
        index = placement.page if placement.page >= 0 else self._count + placement.page
        if not 0 <= index < self._count:
            raise DocumentRejected(
                f"the document has {self._count} page(s): a signature cannot go on page "
                f"{placement.page + 1 if placement.page >= 0 else placement.page}",
                code="placement",
            )
        try:
            page_ref, _resources = _find_page(self._reader, index)
            page = page_ref.get_object()
            page_box = _page_box(page)
            taken = self._taken.setdefault(index, _signature_rects(page))
        except Exception as exc:  # a damaged page tree
            raise DocumentRejected(
                f"the PDF's page {index + 1} cannot be read to place a signature: {exc}",
                code="damaged",
            ) from exc
        if placement.box is None:
            box = _free_slot(page_box, taken)
        else:
            box = placement.box
            px1, py1, px2, py2 = page_box
            if not (px1 <= box[0] and py1 <= box[1] and box[2] <= px2 and box[3] <= py2):
                raise DocumentRejected(
                    f"the signature box {box} is not inside page {index + 1} {page_box}",
                    code="placement",
                )
        taken.append(box)
        return fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=index,
            box=tuple(round(v, 2) for v in box),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class _Plan:
    """pyHanko's signer for one document, the text of its appearance
    (``None``: invisible) and the empty fields to add before signing."""

    pdf_signer: signers.PdfSigner
    text_params: dict[str, Any] | None
    empty_fields: tuple[fields.SigFieldSpec, ...]

    def writer(self, reader: PdfFileReader) -> IncrementalPdfFileWriter:
        writer = _writer(reader)
        try:
            for spec in self.empty_fields:
                fields.append_signature_field(writer, spec)
        except Exception as exc:
            raise DocumentRejected(
                f"the empty signature fields cannot be added: {exc}", code="placement"
            ) from exc
        return writer


def _claims_pdfa(reader: PdfFileReader) -> bool:
    """Whether the document says it is PDF/A (its XMP metadata names a
    ``pdfaid:part``), as Paraph's own legal PDFs do: every font of an
    appearance added to it is then embedded."""
    try:
        ref = reader.root.get_value_as_reference("/Metadata")
        # read as pyHanko's writer will (it updates a metadata stream it
        # recognises, and replaces one it does not, PDF/A claim included)
        metadata = reader.get_object(ref, as_metadata_stream=True)
        return b"pdfaid:part" in metadata.data
    except (KeyError, generic.IndirectObjectExpected):
        return False
    except (pdf_misc.PdfError, AttributeError, ValueError, TypeError):
        return False  # unreadable metadata claims nothing


def _plan(
    reader: PdfFileReader,
    meta: signers.PdfSignatureMetadata,
    options: SignOptions,
    *,
    signer: signers.Signer,
    timestamper: TimeStamper,
    certified: bool,
    archival: bool = False,
) -> _Plan:
    """Where this signature and the empty fields go. In a document that is
    already certified, a new visible field would break the certification
    (ISO 32000 DocMDP; pyHanko and Adobe agree): there the signature fills
    an existing field, or is made invisible, and new empty fields are
    refused. The certifying seal is what creates the fields that follow."""
    field_name = meta.field_name or ""
    existing = {name for name, _, _ in fields.enumerate_sig_fields(reader)}
    for slot in options.slots:
        if slot.field_name in existing or slot.field_name == field_name:
            raise DocumentRejected(
                f"the document already has a signature field named {slot.field_name!r}",
                code="field_name",
            )
    if options.slots and certified:
        raise DocumentRejected(
            "the document is certified by its author: signature fields can no longer be "
            "added to it",
            code="certified",
        )
    planner = _FieldPlanner(reader) if options.appearance or options.slots else None
    kwargs: dict[str, Any] = {}
    text_params = None
    appearance = options.appearance
    if appearance is not None and planner is not None:
        text_params = {"paraph_lines": appearance.lines, "paraph_embed_fonts": archival}
        kwargs["stamp_style"] = _STAMP_STYLE
        if field_name not in existing:
            if certified:
                log.warning(
                    "field %s: the document is certified and has no such field; "
                    "the signature is made invisible so the certification stays valid",
                    field_name,
                )
                kwargs, text_params = {}, None
            else:
                kwargs["new_field_spec"] = planner.spec(field_name, appearance.placement)
    empty = tuple(
        planner.spec(slot.field_name, slot.placement) for slot in options.slots if planner
    )
    return _Plan(
        pdf_signer=signers.PdfSigner(meta, signer=signer, timestamper=timestamper, **kwargs),
        text_params=text_params,
        empty_fields=empty,
    )


# --- signing with a key Paraph holds ---------------------------------------

_size_estimates: dict[tuple[bytes, int, bool], int] = {}


@signature_observed("key")
async def async_sign_pdf(
    data: bytes, *, key: SigningKey, config: EngineConfig, options: SignOptions = SignOptions()
) -> bytes:
    """``data`` signed with ``key`` at the configured PAdES level (B-T at
    least: a time-stamp authority that does not answer fails the signature,
    :class:`TimestampUnavailable`). Refuses damaged, encrypted, oversized or
    non-PDF input with :class:`DocumentRejected`."""
    reader = _check_document(data, config.max_bytes)
    certified = _check_not_locked(reader)
    level = options.level or config.level
    signer = _signer(key)
    md = _digest_algorithm_for(signer.signing_cert)
    meta = _metadata(options, md_algorithm=md, field_name=_field_name(reader, options))
    plan = _plan(
        reader,
        meta,
        options,
        signer=signer,
        timestamper=_timestamper(config.timestamp_authority),
        certified=certified,
        archival=_claims_pdfa(reader),
    )
    # The CMS size depends on the key, the TSA and certification only: after
    # the first document it is known, and the dry run is skipped.
    size_key = (bytes(key.certificate), id(config.timestamp_authority), options.certify)
    estimate = _size_estimates.get(size_key)
    try:
        writer = plan.writer(reader)
        try:
            output = await plan.pdf_signer.async_sign_pdf(
                writer,
                bytes_reserved=estimate,
                output=io.BytesIO(),
                appearance_text_params=plan.text_params,
            )
        except PyHankoSigningError:
            if estimate is None:
                raise
            # the remembered size was too small (a longer TSA answer): size it again
            _size_estimates.pop(size_key, None)
            fresh = PdfFileReader(io.BytesIO(data))  # the first attempt changed the writer's
            writer = plan.writer(fresh)
            output = await plan.pdf_signer.async_sign_pdf(
                writer, output=io.BytesIO(), appearance_text_params=plan.text_params
            )
    except Exception as exc:
        raise _map_pyhanko_errors(exc) from exc
    signed = output.getvalue()
    if size_key not in _size_estimates:
        _size_estimates[size_key] = _reserved_size(signed) + 2048
    return await _extend(signed, level, config, written_by=writer)


def sign_pdf(
    data: bytes, *, key: SigningKey, config: EngineConfig, options: SignOptions = SignOptions()
) -> bytes:
    """Sync entry point of :func:`async_sign_pdf`."""
    return _run(async_sign_pdf(data, key=key, config=config, options=options))


def _reserved_size(signed: bytes) -> int:
    """The /Contents hex length of the newest signature (to size the next)."""
    reader = PdfFileReader(io.BytesIO(signed))
    sig = reader.embedded_signatures[-1]
    start, end = sig.byte_range[1], sig.byte_range[2]
    return end - start - 2


async def _extend(
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
            PdfTimeStamper(_timestamper(config.timestamp_authority))
            if level == Level.B_LTA
            else None
        )
        validation = await _validation_data(sig, config, stamper)
        writer = _Writer.from_reader(reader)
        if isinstance(written_by, _Writer) and isinstance(writer, _Writer):
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
        raise _map_pyhanko_errors(exc) from exc
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
        refs.append(_find_page(writer, 0)[0].reference)
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
        await _release(vc)
    if config.fetched_max_age > 0:
        fetching.remember(key, found)
    return found


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


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
    match = _BYTE_RANGE.match(data, at) if at >= 0 else None
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
    return _validation_context(config.trust, revocation_mode="hard-fail", fetchers=shared)


# --- sealed statements (not PDFs) ---------------------------------------------


def seal_bytes(data: bytes, *, key: SigningKey, config: EngineConfig) -> bytes:
    """A detached CMS signature of ``data`` by ``key`` (CAdES signed
    attributes) with an RFC 3161 signature time-stamp from the configured
    authority: what Paraph seals that is not a PDF (the audit log's
    checkpoints). ``openssl cms -verify -binary -content`` checks it."""

    async def _seal() -> bytes:
        try:
            signed = await _signer(key).async_sign_general_data(
                data,
                "sha256",
                detached=True,
                use_cades=True,
                timestamper=_timestamper(config.timestamp_authority),
            )
        except Exception as exc:
            raise _map_pyhanko_errors(exc) from exc
        return bytes(signed.dump())

    return _run(_seal())


@dataclass(frozen=True)
class SealedBytesStatus:
    """What a detached seal over some bytes proves: ``valid`` when the bytes
    are the ones sealed, the signature verifies, its time-stamp verifies and
    both chain to a trusted root at the time-stamp's moment."""

    valid: bool
    signer: str
    timestamp: datetime | None
    reason: str


def verify_sealed_bytes(data: bytes, seal: bytes, trust: Trust) -> SealedBytesStatus:
    """Check a seal made by :func:`seal_bytes` (or any detached CMS
    signature with a signature time-stamp), validating the certificates at
    the moment the time-stamp proves, so a seal key that rotated or expired
    since still proves what it sealed."""

    async def _verify() -> SealedBytesStatus:
        try:
            info = cms.ContentInfo.load(seal)
            signed_data = info["content"]
            signer_info = signed_data["signer_infos"][0]
            tokens = list(extract_tst_data_iter(signer_info, signed=False))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            return SealedBytesStatus(False, "", None, f"the seal cannot be read: {exc}")
        if not tokens:
            return SealedBytesStatus(False, "", None, "the seal has no time-stamp")
        moment = tokens[0]["encap_content_info"]["content"].parsed["gen_time"].native
        vc = _validation_context(trust, moment=moment)
        ts_vc = _validation_context(trust, moment=moment)
        try:
            status = await async_validate_detached_cms(
                data, signed_data, signer_validation_context=vc, ts_validation_context=ts_vc
            )
        except Exception as exc:  # a damaged structure is a refused seal
            return SealedBytesStatus(False, "", moment, f"the seal cannot be validated: {exc}")
        finally:
            await _release(vc, ts_vc)
        signer = _name_attr(status.signing_cert.subject, "common_name")
        ts = status.timestamp_validity
        if not (status.intact and status.valid):
            return SealedBytesStatus(False, signer, moment, "the sealed bytes were changed")
        if not status.trusted:
            return SealedBytesStatus(
                False, signer, moment, "the seal is not made by a key Paraph trusts"
            )
        if ts is None or not (ts.intact and ts.valid and ts.trusted):
            return SealedBytesStatus(False, signer, moment, "the seal's time-stamp is not valid")
        return SealedBytesStatus(True, signer, ts.timestamp, "")

    return _run(_verify())


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
    reader = _read_document(data, len(data) or 1, lenient=True)[0]
    try:
        stamps = reader.embedded_timestamp_signatures
        if not stamps:
            return ArchiveState(last_timestamp_at=None, expires_at=None)
        newest = stamps[-1]
        return ArchiveState(
            last_timestamp_at=_timestamp_time(newest),
            expires_at=newest.signer_cert.not_valid_after,
        )
    except Exception as exc:
        raise DocumentRejected(
            f"the document time-stamps cannot be read ({_reason(exc)})", code="damaged"
        ) from exc


def _timestamp_time(doc_timestamp: Any) -> datetime:
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
    reader = _check_document(data, config.max_bytes)
    stamper = PdfTimeStamper(_timestamper(config.timestamp_authority))
    vc = await _signing_validation_context(config)
    try:
        out = await stamper.async_update_archival_timestamp_chain(
            reader, vc, in_place=False, output=io.BytesIO()
        )
    except Exception as exc:
        await fetching.forget()
        raise _map_pyhanko_errors(exc) from exc
    finally:
        await _release(vc)
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
    return _run(async_archive_renew(data, config))


# --- two-step signatures (the key is on a card) -----------------------------


@dataclass(frozen=True)
class PreparedSignature:
    """What survives between the two requests of a card signature: the PDF
    with its placeholder, where the placeholder is, the document digest and
    the CMS signed attributes the card must sign. Plain bytes and integers,
    so it can be stored in the database and finished by any web process."""

    pdf: bytes = field(repr=False)
    document_digest: bytes
    reserved_region_start: int
    reserved_region_end: int
    signed_attributes: bytes = field(repr=False)
    digest_algorithm: str

    @property
    def digest_to_sign(self) -> bytes:
        """The hash the card signs: ``digest_algorithm`` over the DER signed
        attributes (what Web eID's ``sign(certificate, hash, hashFunction)``
        receives)."""
        return hashlib.new(self.digest_algorithm, self.signed_attributes).digest()


async def async_prepare_external(
    data: bytes,
    *,
    certificate: bytes,
    chain: Iterable[bytes] = (),
    config: EngineConfig,
    options: SignOptions = SignOptions(),
) -> PreparedSignature:
    """Prepare ``data`` for a signature made elsewhere (an eID card) with
    ``certificate``: allocate the signature, digest the document, build the
    signed attributes. Check the certificate first
    (:func:`check_signing_certificate`)."""
    reader = _check_document(data, config.max_bytes)
    certified = _check_not_locked(reader)
    cert = _load_cert(certificate, "signing certificate")
    registry = SimpleCertificateStore.from_certs(
        [_load_cert(c, "chain certificate") for c in chain]
    )
    md = _digest_algorithm_for(cert)
    placeholder = signers.ExternalSigner(cert, registry, signature_value=_signature_size(cert))
    meta = _metadata(options, md_algorithm=md, field_name=_field_name(reader, options))
    plan = _plan(
        reader,
        meta,
        options,
        signer=placeholder,
        timestamper=_timestamper(config.timestamp_authority),
        certified=certified,
        archival=_claims_pdfa(reader),
    )
    try:
        prepared, _tbs, output = await plan.pdf_signer.async_digest_doc_for_signing(
            plan.writer(reader), output=io.BytesIO(), appearance_text_params=plan.text_params
        )
        output.seek(0)
        prepared_pdf = output.read()
        signed_attrs = await placeholder.signed_attrs(prepared.document_digest, md, use_pades=True)
    except Exception as exc:
        raise _map_pyhanko_errors(exc) from exc
    return PreparedSignature(
        pdf=prepared_pdf,
        document_digest=prepared.document_digest,
        reserved_region_start=prepared.reserved_region_start,
        reserved_region_end=prepared.reserved_region_end,
        signed_attributes=signed_attrs.dump(),
        digest_algorithm=md,
    )


def prepare_external(
    data: bytes,
    *,
    certificate: bytes,
    chain: Iterable[bytes] = (),
    config: EngineConfig,
    options: SignOptions = SignOptions(),
) -> PreparedSignature:
    """Sync entry point of :func:`async_prepare_external`."""
    return _run(
        async_prepare_external(
            data, certificate=certificate, chain=tuple(chain), config=config, options=options
        )
    )


def _der_signature(value: bytes, cert: x509.Certificate) -> bytes:
    """An ECDSA value as DER (Web eID may send raw r||s); RSA unchanged."""
    key = cert.public_key
    if key.algorithm != "ec":
        return value
    size = (key.bit_size + 7) // 8
    if len(value) == 2 * size and value[:1] != b"\x30":
        r = int.from_bytes(value[:size], "big")
        s = int.from_bytes(value[size:], "big")
        return utils.encode_dss_signature(r, s)
    return value


def _verify_value(value: bytes, message: bytes, md: str, cert: x509.Certificate) -> None:
    from paraph.signing.providers.keys import hash_algorithm

    public_key = crypto_x509.load_der_x509_certificate(cert.dump()).public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, message, padding.PKCS1v15(), hash_algorithm(md))
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(value, message, ec.ECDSA(hash_algorithm(md)))
        else:
            raise SignatureValueMismatch("the card's key type is not RSA or EC", code="key_type")
    except (InvalidSignature, ValueError) as exc:
        raise SignatureValueMismatch(
            "the signature value does not match the prepared document and the card's certificate"
        ) from exc


@signature_observed("card")
async def async_finish_external(
    prepared: PreparedSignature,
    *,
    signature_value: bytes,
    certificate: bytes,
    chain: Iterable[bytes] = (),
    config: EngineConfig,
    level: Level | None = None,
) -> bytes:
    """The signed PDF: ``signature_value`` (RSA PKCS#1 v1.5, or ECDSA as DER
    or raw r||s) is verified against the prepared digest and the
    certificate (:class:`SignatureValueMismatch` otherwise), time-stamped,
    embedded, and extended to ``level``."""
    cert = _load_cert(certificate, "signing certificate")
    value = _der_signature(signature_value, cert)
    _verify_value(value, prepared.signed_attributes, prepared.digest_algorithm, cert)
    registry = SimpleCertificateStore.from_certs(
        [_load_cert(c, "chain certificate") for c in chain]
    )
    external = signers.ExternalSigner(cert, registry, signature_value=value)
    try:
        signed_attrs = cms.CMSAttributes.load(prepared.signed_attributes)
        signature_cms = await external.async_sign_prescribed_attributes(
            prepared.digest_algorithm,
            signed_attrs=signed_attrs,
            timestamper=_timestamper(config.timestamp_authority),
        )
        output = io.BytesIO(prepared.pdf)
        await PdfTBSDocument.async_finish_signing(
            output,
            prepared_digest=PreparedByteRangeDigest(
                document_digest=prepared.document_digest,
                reserved_region_start=prepared.reserved_region_start,
                reserved_region_end=prepared.reserved_region_end,
            ),
            signature_cms=signature_cms,
        )
    except Exception as exc:
        raise _map_pyhanko_errors(exc) from exc
    return await _extend(output.getvalue(), level or config.level, config)


def finish_external(
    prepared: PreparedSignature,
    *,
    signature_value: bytes,
    certificate: bytes,
    chain: Iterable[bytes] = (),
    config: EngineConfig,
    level: Level | None = None,
) -> bytes:
    """Sync entry point of :func:`async_finish_external`."""
    return _run(
        async_finish_external(
            prepared,
            signature_value=signature_value,
            certificate=certificate,
            chain=tuple(chain),
            config=config,
            level=level,
        )
    )


# --- checking a card's signing certificate ----------------------------------


@dataclass(frozen=True)
class CardCertificate:
    """What Paraph reads from an accepted eID signing certificate."""

    national_number: str
    common_name: str
    given_name: str
    surname: str
    issuer: str
    not_after: datetime


def _name_attr(name: x509.Name, attr: str) -> str:
    value = name.native.get(attr, "")
    if isinstance(value, list):  # multi-valued attributes
        value = " ".join(value)
    return str(value)


def check_signing_certificate(
    certificate: bytes,
    *,
    national_number: str,
    trust: Trust,
    eid_cas: Iterable[bytes],
    moment: datetime | None = None,
) -> CardCertificate:
    """Accept ``certificate`` as a Belgian eID signing certificate for the
    person whose national register number is ``national_number``, or raise
    :class:`CertificateRejected` with a precise ``code``: it must chain to a
    trusted root through one of ``eid_cas`` (``untrusted``), allow
    nonRepudiation (``key_usage``), be valid at ``moment`` (``expired``,
    ``not_yet_valid``), not be revoked according to OCSP or CRL
    (``revoked``; ``revocation_unknown`` when no answer could be had), and
    carry ``national_number`` in its subject serialNumber (``wrong_person``)."""
    return _run(
        _async_check_signing_certificate(
            certificate,
            national_number=national_number,
            trust=trust,
            eid_cas=tuple(eid_cas),
            moment=moment,
        )
    )


async def _async_check_signing_certificate(
    certificate: bytes,
    *,
    national_number: str,
    trust: Trust,
    eid_cas: tuple[bytes, ...],
    moment: datetime | None,
) -> CardCertificate:
    cert = _load_cert(certificate, "signing certificate")
    serial = _name_attr(cert.subject, "serial_number")
    if serial != national_number:
        raise CertificateRejected(
            "this card belongs to another person: its national register number does not match",
            code="wrong_person",
        )
    ca_certs = [_load_cert(c, "eID CA certificate") for c in eid_cas]
    if not any(cert.issuer == ca.subject for ca in ca_certs):
        raise CertificateRejected(
            "the certificate was not issued by an accepted Belgian eID CA", code="untrusted"
        )
    key_usage = cert.key_usage_value.native if cert.key_usage_value else set()
    if "non_repudiation" not in key_usage:
        raise CertificateRejected(
            "this is not a signature certificate (no nonRepudiation key usage)",
            code="key_usage",
        )
    chain_trust = Trust(
        roots=trust.roots,
        intermediates=tuple(eid_cas),
        crls=trust.crls,
        ocsps=trust.ocsps,
        allow_fetching=trust.allow_fetching,
    )
    vc = _validation_context(chain_trust, revocation_mode="hard-fail", moment=moment)
    validator = CertificateValidator(cert, validation_context=vc)
    try:
        await validator.async_validate_usage({"non_repudiation"})
    except RevokedError as exc:
        raise CertificateRejected(
            f"the card's certificate is revoked: {exc}", code="revoked"
        ) from exc
    except InvalidCertificateError as exc:
        message = str(exc)
        if "expired" in message:
            raise CertificateRejected("the card's certificate has expired", code="expired") from exc
        if "not valid until" in message or "not yet valid" in message:
            raise CertificateRejected(
                "the card's certificate is not valid yet", code="not_yet_valid"
            ) from exc
        raise CertificateRejected(f"the card's certificate is refused: {message}") from exc
    except PathBuildingError as exc:
        raise CertificateRejected(
            "the certificate does not chain to a trusted root", code="untrusted"
        ) from exc
    except PathValidationError as exc:
        message = str(exc)
        if "revocation" in message.lower() or "ocsp" in message.lower() or "crl" in message.lower():
            raise CertificateRejected(
                f"the card's revocation status could not be checked: {message}",
                code="revocation_unknown",
            ) from exc
        if "expired" in message:
            raise CertificateRejected("the card's certificate has expired", code="expired") from exc
        raise CertificateRejected(
            f"the certificate's path is invalid: {message}", code="untrusted"
        ) from exc
    finally:
        await _release(vc)
    return CardCertificate(
        national_number=serial,
        common_name=_name_attr(cert.subject, "common_name"),
        given_name=_name_attr(cert.subject, "given_name"),
        surname=_name_attr(cert.subject, "surname"),
        issuer=_name_attr(cert.issuer, "common_name"),
        not_after=cert.not_valid_after,
    )


# --- validation -------------------------------------------------------------


@dataclass(frozen=True)
class SignatureReport:
    """One signature (or document time-stamp) as a validator sees it."""

    field_name: str
    kind: str  # "signature" or "document_timestamp"
    signer: str
    signer_national_number: str
    issuer: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    timestamp_authority: str
    intact: bool
    covers_whole_document: bool
    modifications: str
    trusted: bool
    revocation: str  # "good", "revoked", "unknown", "not_applicable"
    level: Level | None
    certification: str  # DocMDP permission of a certification signature, or ""
    problems: tuple[str, ...] = ()
    revoked_at: datetime | None = None
    # Trusted through long-term validation: the certificate is no longer
    # valid today (expired), but the embedded validation data and the
    # time-stamps prove it was when the signature was made.
    long_term: bool = False
    # ``intact`` split in its two checks: the signed bytes hash to what the
    # signature says (integrity), and the signature value verifies with the
    # certificate's key (the cryptographic check).
    bytes_unchanged: bool | None = None
    signature_verifies: bool | None = None
    # The root the certificate chains up to, when trusted; "" when Paraph
    # knows no authority that vouches for it (not the same as "broken").
    trust_anchor: str = ""
    # How much of the file the signature covers: "whole_file"; or
    # "later_revisions": ``later_revisions`` incremental updates came after
    # it, which did ``changes`` (names from CHANGE_KINDS) and which the
    # signature (its DocMDP level, or pyHanko's difference analysis for an
    # approval signature) allows or not (``changes_allowed``); "partial": its
    # byte range leaves out or overlaps part of its own revision; "unknown".
    coverage: str = "unknown"
    later_revisions: int = 0
    changes: tuple[str, ...] = ()
    changes_allowed: bool | None = None

    @property
    def unchanged_since(self) -> bool:
        """Nothing but validation data and document time-stamps (B-LT,
        B-LTA) was added after this signature."""
        return self.covers_whole_document or self.modifications == "lta_updates"

    @property
    def signed_before_revocation(self) -> bool:
        """The certificate is revoked, and a trusted time-stamp proves the
        signature existed before the revocation. Said in the report, but it
        does not make the signature valid: Paraph revokes only compromised
        keys, whose every signature is suspect, and pyHanko's and poppler's
        validators refuse it too (one verdict everywhere)."""
        return (
            self.revocation == "revoked"
            and self.revoked_at is not None
            and self.timestamp_time is not None
            and self.timestamp_time < self.revoked_at
        )

    @property
    def valid(self) -> bool:
        return (
            self.intact
            and self.trusted
            and self.revocation != "revoked"
            and not self.problems
            and self.changes_allowed is not False
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field_name,
            "kind": self.kind,
            "signer": self.signer,
            "signer_national_number": self.signer_national_number or None,
            "issuer": self.issuer,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "timestamp_time": self.timestamp_time.isoformat() if self.timestamp_time else None,
            "timestamp_authority": self.timestamp_authority or None,
            "intact": self.intact,
            "integrity": self.bytes_unchanged,
            "signature_verifies": self.signature_verifies,
            "trust_anchor": self.trust_anchor or None,
            "covers_whole_document": self.covers_whole_document,
            "coverage": self.coverage,
            "later_revisions": self.later_revisions,
            "changes": list(self.changes),
            "changes_allowed": self.changes_allowed,
            "modifications": self.modifications,
            "trusted": self.trusted,
            "long_term": self.long_term,
            "revocation": self.revocation,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "signed_before_revocation": self.signed_before_revocation,
            "level": str(self.level) if self.level else None,
            "certification": self.certification or None,
            "problems": list(self.problems),
            "valid": self.valid,
        }


@dataclass(frozen=True)
class ValidationReport:
    """Every signature of a document, and notes on the document itself
    (e.g. ``"read leniently: <reason>"`` when a strict reader refused it
    and it was read as PDF viewers read it)."""

    signatures: tuple[SignatureReport, ...]
    notes: tuple[str, ...] = ()

    @property
    def signed(self) -> tuple[SignatureReport, ...]:
        """The signatures in the order they were made, without the document
        time-stamps (B-LTA) that follow them."""
        return tuple(s for s in self.signatures if s.kind == "signature")

    @property
    def valid(self) -> bool:
        """True only when there is at least one signature and every
        signature and document time-stamp is intact and trusted."""
        return bool(self.signatures) and all(s.valid for s in self.signatures)

    @property
    def read_leniently(self) -> bool:
        return any(note.startswith(NOTE_LENIENT) for note in self.notes)

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "valid": self.valid,
            "signatures": [s.as_dict() for s in self.signatures],
        }
        if self.notes:  # absent for a document read strictly, as before notes existed
            result["notes"] = list(self.notes)
        return result


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
    reader, note = _read_document(data, limit, lenient=True)
    if note is None:
        try:
            return await _validate_reader(reader, trust, moment)
        except pdf_misc.PdfStrictReadError as exc:
            note = f"{NOTE_LENIENT}: {_reason(exc)}"
            log.info("validating a PDF that a strict reader refuses: %s", note)
        try:
            reader = _open(data, strict=False)
        except Exception as exc:
            raise DocumentRejected(
                f"the PDF is damaged and cannot be read ({_reason(exc)})", code="damaged"
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
            f"the PDF's signature fields cannot be read ({_reason(exc)})", code="damaged"
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
            log.warning("signature field %s cannot be read: %s", fq_name, _reason(exc))
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
        signer=_name_attr(cert.subject, "common_name") if cert is not None else "",
        signer_national_number="",
        issuer=_name_attr(cert.issuer, "common_name") if cert is not None else "",
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
        problems=(f"{PROBLEM_UNVALIDATABLE}: {_reason(exc)}",),
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
            log.warning("signature %s cannot be validated: %s", sig.field_name, _reason(exc))
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
    return _run(async_validate_pdf(data, trust=trust, moment=moment, max_bytes=max_bytes))


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
    vc = _validation_context(
        trust, revocation_mode=mode, moment=moment, dss=dss, retroactive=retroactive
    )
    try:
        if sig.sig_object_type == "/DocTimeStamp":
            return await async_validate_pdf_timestamp(sig, validation_context=vc)
        return await async_validate_pdf_signature(sig, signer_validation_context=vc)
    finally:
        await _release(vc)


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
            trust_roots=[_load_cert(c, "trust root") for c in trust.roots]
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
                    _load_cert(c, "intermediate CA certificate") for c in trust.intermediates
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
    return False, _revoked_in_known_crls(sig.signer_cert, trust)


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


def _anchor_name(status: Any) -> str:
    """The common name of the root a validated path ends at, or ""."""
    path = getattr(status, "validation_path", None)
    if path is None or not status.trusted:
        return ""
    try:
        return str(_name_attr(path.trust_anchor.authority.name, "common_name"))
    except Exception:  # a path without a named anchor: nothing to show
        return ""


def _revoked_in_known_crls(cert: x509.Certificate, trust: Trust) -> datetime | None:
    """When ``cert`` was revoked according to the CRLs Paraph holds itself
    (its own signing CA's, from the database), or None."""
    for crl_der in trust.crls:
        crl = asn1_crl.CertificateList.load(crl_der)
        if crl.issuer != cert.issuer:
            continue
        for entry in crl["tbs_cert_list"]["revoked_certificates"] or []:
            if entry["user_certificate"].native == cert.serial_number:
                revoked: datetime = entry["revocation_date"].native
                return revoked
    return None


_COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: "whole_file",
    SignatureCoverageLevel.ENTIRE_REVISION: "later_revisions",
}


def _later_changes(sig: Any, status: Any) -> tuple[str, ...]:
    """What the revisions added after ``sig`` did, named from CHANGE_KINDS.
    pyHanko's difference analysis says whether the signature allows them;
    this says what they are. What it allowed needs no closer look (it lets
    through only validation data, signatures and form filling); anything
    else is compared page by page with the signed revision. Never raises:
    a document too damaged to compare says "other"."""
    level = status.modification_level
    try:
        reader, revision = sig.reader, sig.signed_revision
        later = [s for s in reader.embedded_signatures if s.signed_revision > revision]
        changes = []
        if any(s.sig_object_type == "/DocTimeStamp" for s in later) or _dss_changed_after(
            reader, revision
        ):
            changes.append("validation_data")
        signature_fields = {s.field_name for s in later if s.sig_object_type == "/Sig"}
        if signature_fields:
            changes.append("signatures")
        diff = status.diff_result
        if isinstance(diff, DiffResult) and diff.changed_form_fields - signature_fields:
            changes.append("form_filling")
        if level in (ModificationLevel.ANNOTATIONS, ModificationLevel.OTHER):
            seen = _page_changes(reader.get_historical_resolver(revision), reader)
            changes.extend(seen)
            if not seen and level == ModificationLevel.OTHER:
                changes.append("other")
        return tuple(changes)
    except Exception as exc:  # a damaged later revision: say what pyHanko said
        log.warning("what changed after %s cannot be told: %s", sig.field_name, _reason(exc))
        return ("other",) if level == ModificationLevel.OTHER else ()


def _dss_changed_after(reader: PdfFileReader, revision: int) -> bool:
    """A later revision added or updated the document security store."""
    if "/DSS" not in reader.root:
        return False
    if "/DSS" not in reader.get_historical_root(revision):
        return True
    dss = reader.root.raw_get("/DSS")
    if not isinstance(dss, generic.IndirectObject):
        return False
    return any(
        dss.reference in reader.xrefs.explicit_refs_in_revision(later)
        for later in range(revision + 1, reader.xrefs.total_revisions)
    )


def _page_changes(before: Any, after: Any) -> list[str]:
    """Pages added or removed, pages that draw something else, annotations
    changed: the signed revision (``before``) against the document now."""
    old, new = _pages(before), _pages(after)
    changes = []
    if len(new) > len(old):
        changes.append("pages_added")
    elif len(new) < len(old):
        changes.append("pages_removed")
    pairs = list(zip(old, new, strict=False))
    if any(_drawn(a) != _drawn(b) for a, b in pairs):
        changes.append("content_changed")
    if any(_annotations(a) != _annotations(b) for a, b in pairs):
        changes.append("annotations")
    return changes


def _pages(handler: Any) -> list[generic.DictionaryObject]:
    """The page dictionaries of a document (or of one of its revisions), in
    order; a node met twice (a loop in the tree) is not walked again."""
    pages: list[generic.DictionaryObject] = []
    seen: set[Any] = set()
    stack: list[Any] = [handler.root.raw_get("/Pages")]
    while stack:
        raw = stack.pop()
        key = raw.reference if isinstance(raw, generic.IndirectObject) else id(raw)
        node = raw.get_object()
        if key in seen or not isinstance(node, generic.DictionaryObject):
            continue
        seen.add(key)
        kids = node.get("/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend(kids.raw_get(i) for i in reversed(range(len(kids))))
        else:
            pages.append(node)
    return pages


def _stream_bytes(obj: Any) -> bytes:
    obj = obj.get_object() if obj is not None else None
    return obj.encoded_data if isinstance(obj, generic.StreamObject) else b""


def _drawn(page: generic.DictionaryObject) -> bytes:
    """A digest of what a page draws: its content streams and the XObjects
    (images, forms) its resources name."""
    digest = hashlib.sha256()
    contents = page.get("/Contents")
    if isinstance(contents, generic.ArrayObject):
        for i in range(len(contents)):
            digest.update(_stream_bytes(contents.raw_get(i)))
    else:
        digest.update(_stream_bytes(contents))
    resources = _inherited(page, "/Resources")
    xobjects = (
        resources.get("/XObject") if isinstance(resources, generic.DictionaryObject) else None
    )
    if isinstance(xobjects, generic.DictionaryObject):
        for name in sorted(xobjects):
            digest.update(name.encode() + b"\0" + _stream_bytes(xobjects.raw_get(name)))
    return digest.digest()


def _annotations(page: generic.DictionaryObject) -> frozenset[bytes]:
    """Digests of a page's annotations other than form fields: their kind,
    place, text and appearance."""
    annots = page.get("/Annots")
    if not isinstance(annots, generic.ArrayObject):
        return frozenset()
    found = set()
    for i in range(len(annots)):
        annot = annots[i]
        if not isinstance(annot, generic.DictionaryObject) or annot.get("/Subtype") == "/Widget":
            continue
        appearance = annot.get("/AP")
        normal = (
            appearance.raw_get("/N")
            if isinstance(appearance, generic.DictionaryObject) and "/N" in appearance
            else None
        )
        digest = hashlib.sha256(
            repr(
                [annot.get("/Subtype"), list(annot.get("/Rect", [])), annot.get("/Contents")]
            ).encode()
        )
        digest.update(_stream_bytes(normal))
        found.add(digest.digest())
    return frozenset(found)


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
                sig, trust, _timestamp_time(later[0]), dss, "soft-fail", retroactive=True
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
    coverage = "unknown" if status.coverage is None else _COVERAGE.get(status.coverage, "partial")
    changes = _later_changes(sig, status) if coverage == "later_revisions" else ()
    if coverage == "partial":
        problems.append(PROBLEM_PARTIAL_COVERAGE)
    elif status.docmdp_ok is False:
        certified = not is_doc_ts and sig.docmdp_level is not None
        problems.append(PROBLEM_CERTIFICATION if certified else PROBLEM_MODIFIED)
    if not is_doc_ts and not status.seed_value_ok:
        problems.append(PROBLEM_SEED_VALUE)
    if is_doc_ts:
        ts_time, tsa = status.timestamp, _name_attr(signer_cert.subject, "common_name")
        signing_time = status.timestamp
        level: Level | None = None
    else:
        ts = status.timestamp_validity
        ts_time = ts.timestamp if ts is not None else None
        tsa = _name_attr(ts.signing_cert.subject, "common_name") if ts is not None else ""
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
        signer=_name_attr(signer_cert.subject, "common_name"),
        signer_national_number=_name_attr(signer_cert.subject, "serial_number"),
        issuer=_name_attr(signer_cert.issuer, "common_name"),
        signing_time=signing_time,
        timestamp_time=ts_time,
        timestamp_authority=tsa,
        intact=bool(status.intact and status.valid),
        bytes_unchanged=bool(status.intact),
        signature_verifies=bool(status.valid),
        trust_anchor=_anchor_name(status),
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
