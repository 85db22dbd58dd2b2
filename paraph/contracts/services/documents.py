"""A contract's files: the document the recipient signs, prepared from the
sender's PDF (certified by Paraph's seal, with an empty signature field)
and checked, a PDF refused with a precise reason; files written in a
transaction that fails are removed (a contract is stored whole, or not at
all)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext

from paraph.contracts.models import Contract
from paraph.contracts.services.data import SignaturePlacement
from paraph.contracts.services.errors import ContractInvalid, ContractUnavailable, FieldError
from paraph.signing import engine
from paraph.signing.exceptions import DocumentRejected, SigningError

logger = logging.getLogger(__name__)


# The empty signature field Paraph's seal prepares for the recipient.
SIGNATURE_FIELD = "Paraph-Recipient"


# --- Files: a contract is stored whole, or not at all -------------------------------------


def contract_file_save(
    contract: Contract, field_name: str, name: str, data: bytes, written: list[str]
) -> None:
    getattr(contract, field_name).save(name, ContentFile(data), save=False)
    written.append(getattr(contract, field_name).name)


# --- The document the recipient signs -----------------------------------------------------


_PDF_MESSAGES = {
    "empty": lambda: gettext("The file is empty."),
    "not_pdf": lambda: gettext("The file is not a PDF."),
    "truncated": lambda: gettext(
        "The PDF is incomplete (it was cut off while being copied or uploaded)."
    ),
    "damaged": lambda: gettext("The PDF is damaged and cannot be read."),
    "encrypted": lambda: gettext(
        "The PDF is protected by a password or encrypted: upload an unprotected copy."
    ),
    "locked": lambda: gettext(
        "The PDF is certified by its author with “no changes allowed”: it cannot be signed. "
        "Ask its author for a copy that is not certified."
    ),
    "certified": lambda: gettext(
        "The PDF is certified by its author, which forbids adding the recipient's signature "
        "field. Ask its author for a copy that is not certified."
    ),
    "field_name": lambda: gettext(
        "The PDF already has a signature field with the name Paraph needs. Print it to a new "
        "PDF and upload that copy."
    ),
    "already_signed": lambda: gettext(
        "The PDF already carries a signature: send the document before anyone signs it."
    ),
    "placement": lambda: gettext(
        "The signature cannot go there: the page does not exist or the box is outside the page."
    ),
    "page_tree": lambda: gettext(
        "The PDF's list of pages is broken (a page is missing, listed twice or not counted). "
        "Print it to a new PDF and upload that copy."
    ),
    "malformed": lambda: gettext(
        "The PDF does not follow the PDF standard (it refers to parts it does not contain): "
        "its signatures could not be checked reliably. Print it to a new PDF and upload "
        "that copy."
    ),
    "unverifiable": lambda: gettext(
        "Paraph's seal on this PDF could not be checked afterwards, so nothing was sent. "
        "Print it to a new PDF and upload that copy."
    ),
}


def _too_large(size: int) -> FieldError:
    limit = settings.SIGNING_MAX_PDF_BYTES
    return FieldError(
        "pdf",
        "too_large",
        gettext("The file is %(size).1f MB; the limit is %(limit).0f MB.")
        % {"size": size / 1024 / 1024, "limit": limit / 1024 / 1024},
    )


def _pdf_error(exc: DocumentRejected, size: int) -> ContractInvalid:
    if exc.code == "too_large":
        return ContractInvalid([_too_large(size)])
    message = _PDF_MESSAGES.get(exc.code, _PDF_MESSAGES["damaged"])()
    field_name = "signature" if exc.code == "placement" else "pdf"
    return ContractInvalid([FieldError(field_name, exc.code, message)])


def document_prepare(
    *, pdf: bytes, placement: SignaturePlacement | None, language: str, ref: str
) -> tuple[bytes, bool, str]:
    """The document the recipient will sign: by default ``pdf`` certified by
    Paraph's seal with an empty signature field for the recipient at the
    sender's placement (any later change to the document then shows in
    every validator); the PDF itself when ``CONTRACT_SEAL`` is off. Either
    way the signing engine reads it first: a damaged, encrypted, truncated
    or oversized file, a broken page tree or a file that only a lenient
    reader reads is refused here, with a precise reason; so is a sealed
    document that Paraph's own validator does not accept."""
    if not pdf:
        raise ContractInvalid([FieldError("pdf", "empty", _PDF_MESSAGES["empty"]())])
    if len(pdf) > settings.SIGNING_MAX_PDF_BYTES:
        raise ContractInvalid([_too_large(len(pdf))])
    from paraph.signing.services import seal_apply

    where = (placement or SignaturePlacement()).engine_placement()
    try:
        if settings.CONTRACT_SEAL:
            state = engine.check_signable(pdf, max_bytes=settings.SIGNING_MAX_PDF_BYTES)
            field = _free_field_name(SIGNATURE_FIELD, state.field_names)
            sealed = seal_apply(
                document=pdf,
                document_ref=ref,
                # a certification must be the first signature: on a PDF the
                # sender had signed already, the seal is an approval signature
                certify=state.signatures == 0,
                language=language,
                slots=(engine.SignatureSlot(field_name=field, placement=where),),
            )
            _sealed_check(sealed, ref=ref)
            return sealed, True, field
        engine.check_readable(pdf, max_bytes=settings.SIGNING_MAX_PDF_BYTES)
        return pdf, False, ""
    except DocumentRejected as exc:
        raise _pdf_error(exc, len(pdf)) from exc
    except SigningError as exc:
        logger.warning("contract %s: the seal could not be applied: %s", ref, exc)
        raise ContractUnavailable(
            gettext(
                "Paraph's seal is unavailable for a moment. Nothing was sent: try again later."
            ),
            code="seal_unavailable",
        ) from exc


def _free_field_name(wanted: str, taken: frozenset[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… when the PDF already has a
    field of that name."""
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}-{n}"
    return name


def _sealed_check(sealed: bytes, *, ref: str) -> None:
    """Refuse a sealed document that Paraph's validator (as the reports
    use it) does not read strictly and find valid: its report would fail
    once the recipient signed. A seal that is intact but not trusted is
    Paraph's configuration, not the sender's PDF (:class:`SigningError`)."""
    from paraph.signing.selectors import signature_report

    # The seal validated as it was signed, before the validation data and
    # the document time-stamp Paraph appended for the long term: the same
    # verdict on the sender's PDF and on Paraph's trust, without the diff
    # analysis of Paraph's own appended revision (two fifths of a dispatched
    # contract's cost, ADR 27); that revision is checked to read strictly.
    covered = engine.newest_signature_revision(sealed)
    if len(covered) < len(sealed):
        engine.check_structure(sealed)
    report = signature_report(covered)
    # The seal is the newest signature (document time-stamps may follow it);
    # signatures the sender's PDF carried before must stay intact, whoever
    # made them (a certificate Paraph does not know is the sender's affair,
    # not a broken document).
    entries = list(report.signatures)
    at = max((n for n, e in enumerate(entries) if e.kind == "signature"), default=None)
    seal = entries[at] if at is not None else None
    earlier = entries[:at] if at is not None else []
    later = entries[at + 1 :] if at is not None else []
    if (
        seal is not None
        and seal.valid
        and all(e.valid for e in later)
        and not report.notes
        and all(e.intact and e.changes_allowed is not False for e in earlier)
    ):
        return
    problems = [p for s in report.signatures for p in s.problems]
    logger.warning("contract %s: the sealed document does not validate: %s", ref, problems)
    if report.notes or seal is None or any(not s.intact for s in report.signatures):
        raise ContractInvalid([FieldError("pdf", "unverifiable", _PDF_MESSAGES["unverifiable"]())])
    if any(s.changes_allowed is False for s in earlier):
        raise ContractInvalid([FieldError("pdf", "certified", _PDF_MESSAGES["certified"]())])
    raise SigningError(f"Paraph's validator does not accept its own seal: {problems}")
