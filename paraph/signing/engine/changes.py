"""What the revisions after a signature changed, in words a report can
show (validation data, signatures, form filling, annotations, pages,
content), and the facts about a signer's certificate a report names."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.validation.status import SignatureCoverageLevel

from paraph.signing.engine.cms import name_attribute
from paraph.signing.engine.options import Trust
from paraph.signing.engine.reading import error_reason
from paraph.signing.engine.stamp import inherited_value

log = logging.getLogger("paraph.signing.engine")


def anchor_name(status: Any) -> str:
    """The common name of the root a validated path ends at, or ""."""
    path = getattr(status, "validation_path", None)
    if path is None or not status.trusted:
        return ""
    try:
        return str(name_attribute(path.trust_anchor.authority.name, "common_name"))
    except Exception:  # a path without a named anchor: nothing to show
        return ""


def revoked_in_known_crls(cert: x509.Certificate, trust: Trust) -> datetime | None:
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


COVERAGE_LEVELS = {
    SignatureCoverageLevel.ENTIRE_FILE: "whole_file",
    SignatureCoverageLevel.ENTIRE_REVISION: "later_revisions",
}


def later_changes(sig: Any, status: Any) -> tuple[str, ...]:
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
        log.warning("what changed after %s cannot be told: %s", sig.field_name, error_reason(exc))
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
    resources = inherited_value(page, "/Resources")
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
