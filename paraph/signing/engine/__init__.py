"""The one package of Paraph that talks to pyHanko.

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
LTA is the same for every kind of signature (``longterm.extend_signed``),
which is why the two-step flow keeps no pyHanko objects between its two
requests.

Callers use this package's names (``engine.sign_pdf``, ``engine.Level``);
its modules, each importing only from the ones below it (an import-linter
contract keeps it so):

- ``signing`` (a key Paraph holds; sealed statements), ``external`` (the
  card's two steps; a card's certificate checked), ``validation``;
- ``longterm`` (B-LT, B-LTA, archive renewal), ``changes`` (what later
  revisions changed), ``reports`` (what a validation reports);
- ``stamp`` (the visible signature and where it goes);
- ``writer`` (the incremental update);
- ``reading`` (a PDF opened strictly, its structure checked);
- ``cms`` (providers as pyHanko signers and time-stampers, trust) and
  ``runtime`` (pyHanko's coroutines run from synchronous code);
- ``options`` (levels, trust, configuration, placements, report words).
"""

from paraph.signing import hexreader
from paraph.signing.engine.cms import common_name
from paraph.signing.engine.external import (
    CardCertificate,
    PreparedSignature,
    async_finish_external,
    async_prepare_external,
    check_signing_certificate,
    finish_external,
    prepare_external,
)
from paraph.signing.engine.longterm import (
    ArchiveState,
    archive_renew,
    archive_state,
    async_archive_renew,
)
from paraph.signing.engine.options import (
    CHANGE_KINDS,
    MIN_BOX_HEIGHT,
    MIN_BOX_WIDTH,
    NOTE_LENIENT,
    PROBLEM_CERTIFICATION,
    PROBLEM_MODIFIED,
    PROBLEM_PARTIAL_COVERAGE,
    PROBLEM_SEED_VALUE,
    PROBLEM_TIMESTAMP,
    PROBLEM_UNVALIDATABLE,
    Appearance,
    DocMdp,
    EngineConfig,
    Level,
    Placement,
    SignatureSlot,
    SignOptions,
    Trust,
)
from paraph.signing.engine.reading import (
    SigningState,
    check_readable,
    check_signable,
    check_structure,
    newest_signature_revision,
    signing_state,
)
from paraph.signing.engine.reports import SignatureReport, ValidationReport
from paraph.signing.engine.signing import (
    SealedBytesStatus,
    async_sign_pdf,
    seal_bytes,
    sign_pdf,
    verify_sealed_bytes,
)
from paraph.signing.engine.validation import async_validate_pdf, validate_pdf
from paraph.signing.exceptions import DocumentRejected

# Also read by Paraph's other modules, outside the public ``__all__``: the
# report words, DocMdp, the signing state, sealed statements (F401 is off for
# this file: it re-exports).

hexreader.install()  # /Contents read at once, not one byte at a time

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
    "check_signable",
    "check_signing_certificate",
    "check_structure",
    "common_name",
    "finish_external",
    "newest_signature_revision",
    "prepare_external",
    "sign_pdf",
    "validate_pdf",
]
