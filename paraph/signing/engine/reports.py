"""What a validation reports: one :class:`SignatureReport` per signature or
document time-stamp, and the :class:`ValidationReport` of a document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paraph.signing.engine.options import NOTE_LENIENT, Level

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
