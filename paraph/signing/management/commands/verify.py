"""``paraph verify FILE.pdf [--json]``: a report on every signature.

Exit code 0 when every signature is intact and trusted, 1 when one is not
(or there is none, or one cannot be validated: the report says why), 2 when
the file cannot be read, with the reason. A file that a strict reader
refuses but a lenient one reads is validated as read leniently, with a note.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, no_translations

from paraph.signing import engine
from paraph.signing.exceptions import SigningError
from paraph.signing.selectors import signature_report
from paraph.signing.templatetags.signing_tags import changes_text


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _coverage(sig: engine.SignatureReport) -> str:
    """Whether the signature covers the whole file, and if not, what the
    updates added after it did and whether the signature allows that."""
    if sig.coverage == "whole_file":
        return "yes"
    if sig.coverage == "partial":
        return "NO: the byte range leaves out or overlaps part of the signed revision"
    if sig.coverage != "later_revisions":
        return "unknown"
    n = sig.later_revisions
    text = f"{n} update{'' if n == 1 else 's'} added after this signature"
    if sig.changes:
        text += f": {changes_text(sig.changes)}"
    if sig.changes_allowed is False:
        return f"NO, {text} (NOT allowed by this signature)"
    if sig.changes_allowed:
        return f"no, {text} (allowed by this signature)"
    return f"no, {text}"


def _trust_text(sig: engine.SignatureReport) -> str:
    trust = _yes(sig.trusted)
    if sig.trust_anchor:
        return trust + f" (up to {sig.trust_anchor})"
    if sig.long_term:
        return trust + " (when it was made: long-term validation)"
    if not sig.trusted and sig.intact:
        return trust + " (signed by someone Paraph does not know; the signature itself is sound)"
    if not sig.trusted:
        return "not checked (the signed content was changed)"
    return trust


def _revocation_text(sig: engine.SignatureReport) -> str:
    revocation = sig.revocation
    if sig.revoked_at:
        revocation += f" on {sig.revoked_at.isoformat()}"
        if sig.signed_before_revocation:
            revocation += " (after the time-stamp; a revoked certificate vouches for none)"
    return revocation


def _signature_lines(n: int, sig: engine.SignatureReport) -> list[str]:
    kind = "Document time-stamp" if sig.kind == "document_timestamp" else "Signature"
    lines = [f"{kind} {n} ({sig.field_name})", f"  signer:                 {sig.signer}"]
    if sig.signer_national_number:
        lines.append(f"  national number:        {sig.signer_national_number}")
    lines.append(f"  certificate issuer:     {sig.issuer}")
    if sig.signing_time:
        lines.append(f"  signing time (claimed): {sig.signing_time.isoformat()}")
    if sig.timestamp_time:
        lines.append(
            f"  time-stamp:             {sig.timestamp_time.isoformat()} by {sig.timestamp_authority}"
        )
    lines.append(f"  intact:                 {_yes(sig.intact)}")
    if sig.bytes_unchanged is not None:
        lines.append(f"    signed bytes unchanged: {_yes(sig.bytes_unchanged)}")
        lines.append(f"    signature verifies:     {_yes(bool(sig.signature_verifies))}")
    lines.append(f"  covers whole document:  {_coverage(sig)}")
    lines.append(f"  trusted:                {_trust_text(sig)}")
    lines.append(f"  revocation:             {_revocation_text(sig)}")
    if sig.level:
        lines.append(f"  PAdES level:            {sig.level}")
    if sig.certification:
        lines.append(f"  certification:          {sig.certification}")
    lines += [f"  problem:                {problem}" for problem in sig.problems]
    lines.append(f"  => {'VALID' if sig.valid else 'NOT VALID'}")
    return lines


def render_text(report: engine.ValidationReport) -> str:
    lines = [] if report.signatures else ["No signature in this document."]
    for n, sig in enumerate(report.signatures, start=1):
        lines += _signature_lines(n, sig)
    lines.append("")
    lines += [f"Note: {note}" for note in report.notes]
    lines.append("Document: " + ("VALID" if report.valid else "NOT VALID"))
    return "\n".join(lines)


@contextmanager
def _library_logs(verbosity: int) -> Iterator[None]:
    """pyHanko logs what it finds wrong in a damaged file, tracebacks
    included: a server keeps them, but here the report says it all. They
    are shown with ``-v 2``."""
    if verbosity >= 2:
        yield
        return
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


class Command(BaseCommand):
    help = "Validate every signature of a PDF: exit 0 valid, 1 not valid, 2 unreadable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the PDF to check")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    @no_translations  # the report is in English, the engine's words included
    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
            with _library_logs(options["verbosity"]):
                report = signature_report(data)
        except (OSError, SigningError) as exc:
            code = getattr(exc, "code", "unreadable")
            if options["json"]:
                self.stdout.write(json.dumps({"valid": False, "error": code, "message": str(exc)}))
            else:
                self.stderr.write(f"{path}: cannot be read: {exc}")
            sys.exit(2)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(render_text(report))
        sys.exit(0 if report.valid else 1)
