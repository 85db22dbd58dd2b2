"""What the engine's callers pass and read: levels, trust, configuration,
placements and options (frozen dataclasses), and the words of its reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeVar

from pyhanko.sign import fields

from paraph.signing.providers import TimestampAuthority

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


DOCMDP_LEVELS = {
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
