"""The recipient's signature: whether the contract can be signed now, the
document handed to the signing engine, the signed PDF recorded (card or
password, one transaction under the contract's lock), and the steps of the
signing flow added to the evidence."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.contracts.companies import CompanyRole, company_directory, company_label
from paraph.contracts.documents import contract_document_read
from paraph.contracts.models import SIGNABLE, Contract, ContractEvent, ContractStatus, SigningMethod
from paraph.contracts.services.common import (
    contract_event,
    contract_expire_locked,
    contract_lock,
    contract_transition,
)
from paraph.contracts.services.documents import contract_file_save
from paraph.contracts.services.errors import ContractError, ContractNotSignable
from paraph.core.context import SYSTEM, Context
from paraph.core.storage import DocumentUnavailable, files_removed_on_failure
from paraph.signing import engine
from paraph.signing import selectors as signing_selectors
from paraph.signing import services as signing_services
from paraph.signing.exceptions import CertificateRejected, DocumentRejected

logger = logging.getLogger(__name__)


def company_signer(contract: Contract, person: Person) -> CompanyRole | ContractNotSignable:
    """What ``person`` is for the company ``contract`` is addressed to, if
    they may sign for it now; otherwise why not (ADR 35): no longer its
    representative nor a user (``not_member``), or a user the representative
    has not allowed to sign (``may_not_sign``)."""
    number = contract.recipient_company_number
    role = company_directory().role(person=person, number=number)
    label = company_label(name=contract.recipient_company_name, number=number)
    if role is None:
        return ContractNotSignable(
            gettext(
                "You are no longer the digital representative nor a user of %(company)s: "
                "you cannot sign for it."
            )
            % {"company": label},
            code="not_member",
        )
    if not role.can_sign:
        return ContractNotSignable(
            gettext(
                "Only the digital representative of %(company)s and the users it allows "
                "to sign can sign for it. Ask %(representative)s to let you sign."
            )
            % {"company": label, "representative": role.representative_name},
            code="may_not_sign",
        )
    return role


def not_signable_reason(contract: Contract, person: Person | None) -> ContractNotSignable | None:
    if person is not None and contract.for_company:
        role = company_signer(contract, person)
        if isinstance(role, ContractNotSignable):
            return role
    elif person is not None and contract.recipient_id != person.pk:
        return ContractNotSignable("not this person's contract", code="wrong_person")
    if (
        not contract.for_company
        and person is not None
        and contract.recipient_national_number
        and person.national_number
        and person.national_number != contract.recipient_national_number
    ):
        # RG-3, when the sender could not be told at creation (see
        # recipient_conflicts): this contract names someone else.
        return ContractNotSignable(
            gettext(
                "This contract names another national register number than yours: "
                "you cannot sign it. Ask the sender to check it."
            ),
            code="other_national_number",
        )
    words = {
        ContractStatus.CREATED: ("not_sent", gettext("This contract has not been sent yet.")),
        ContractStatus.SIGNED: ("already_signed", gettext("This contract is already signed.")),
        ContractStatus.REVOKED: (
            "revoked",
            gettext("The sender withdrew this contract: it can no longer be signed."),
        ),
        ContractStatus.SUPERSEDED: (
            "superseded",
            gettext("A new version replaces this contract: sign the new version instead."),
        ),
        ContractStatus.NOT_SIGNED: (
            "not_signed",
            gettext("The deadline to sign this contract has passed."),
        ),
        ContractStatus.REFUSED: (
            "refused",
            gettext("This contract was refused for the company.")
            if contract.for_company
            else gettext("You refused this contract."),
        ),
    }
    if contract.status in words:
        code, message = words[ContractStatus(contract.status)]
        return ContractNotSignable(message, code=code)
    if contract.deadline_passed():
        return ContractNotSignable(
            gettext("The deadline to sign this contract has passed."), code="deadline_passed"
        )
    return None


def contract_check_signable(*, contract: Contract, person: Person) -> None:
    """Raise :class:`ContractNotSignable` (with a message for the person)
    unless ``person`` may sign ``contract`` now. Call it before preparing a
    signature; :func:`contract_sign_record` checks again under the lock."""
    reason = not_signable_reason(contract, person)
    if reason is not None:
        raise reason


def contract_signed_for(contract: Contract) -> tuple[str, str] | None:
    """The company a signature of ``contract`` is made for (its name and
    enterprise number: the stamp and the signature say so), or None."""
    if not contract.for_company:
        return None
    return (contract.recipient_company_name, contract.recipient_company_number)


@dataclass(frozen=True)
class SigningInput:
    """What the signing engine's services need to sign this contract:
    ``document`` (the sealed PDF), ``document_ref``, and either the empty
    ``field_name`` the seal prepared or a ``placement``."""

    document: bytes
    document_ref: str
    field_name: str | None
    placement: engine.Placement | None
    # The company the signature is made for (name, enterprise number).
    for_company: tuple[str, str] | None = None


def _document_checked(contract: Contract) -> bytes:
    """The document to sign, its hash checked (``contracts.documents``)."""
    try:
        return contract_document_read(contract=contract, which="document")
    except DocumentUnavailable as exc:
        if exc.reason == "missing":
            raise ContractError(str(exc), code="document_missing") from exc
        raise ContractError(
            "the stored document does not match its recorded hash", code="document_altered"
        ) from exc


def contract_signing_input(*, contract: Contract) -> SigningInput:
    """The document to hand to ``eid_signature_prepare`` or
    ``password_signature_make``; refuses (``document_altered``) a stored
    document whose hash is no longer the one recorded, or that is missing
    (``document_missing``)."""
    document = _document_checked(contract)
    placement = None
    if not contract.signature_field:
        placement = engine.Placement(
            page=contract.placement_page,
            box=tuple(contract.placement_box) if contract.placement_box else None,
        )
    return SigningInput(
        document=document,
        document_ref=contract.document_ref,
        field_name=contract.signature_field or None,
        placement=placement,
        for_company=contract_signed_for(contract),
    )


def contract_sign_record(
    *,
    contract: Contract,
    person: Person,
    signed_pdf: bytes,
    method: str,
    mandate_ref: str | None = None,
    evidence: dict[str, Any] | None = None,
    context: Context = SYSTEM,
    also: Callable[[], None] | None = None,
) -> Contract:
    """Store the recipient's signature: the signed PDF (from the signing
    engine) whole with its SHA-256, the signing method, the mandate used
    and ``evidence`` (e.g. the certificate's issuer, the code verification),
    and the state ``signed``, all in one transaction under the contract's
    row lock, or nothing at all. ``also`` runs in that transaction once
    the contract is signed (what the signature used up, see
    :func:`contract_sign_with_eid`).

    Two signatures at once produce one signed contract and one
    :class:`ContractNotSignable` ``already_signed``. Also refuses a
    contract past its deadline (it is archived as ``not_signed`` then,
    and ``deadline_passed`` raised), revoked, superseded, refused, another
    person's, and a PDF that is not an incremental update of the document
    that was to be signed (``document_mismatch``)."""
    if method not in SigningMethod.values:
        raise ValueError(f"unknown signing method {method!r}")
    if method == SigningMethod.PASSWORD and not mandate_ref:
        raise ValueError("a password signature needs the mandate it was made under")
    document = _document_checked(contract)
    if len(signed_pdf) <= len(document) or not signed_pdf.startswith(document):
        raise ContractError(
            "the signed PDF is not the contract's document with a signature added",
            code="document_mismatch",
        )
    archive_expires_at = _archive_expires_at(signed_pdf, contract)
    expired = False
    with files_removed_on_failure(default_storage) as written, transaction.atomic():
        locked = contract_lock(contract)
        if locked.status in SIGNABLE and locked.deadline_passed():
            contract_expire_locked(locked, context=context)
            expired = True
        else:
            reason = not_signable_reason(locked, person)
            if reason is not None:
                raise reason
            if locked.status == ContractStatus.SENT:
                # Signed without being opened first (batch signing): the
                # evidence still shows it was presented.
                contract_transition(
                    locked,
                    ContractStatus.OPENED,
                    actor=person,
                    context=context,
                    data={"with_signature": True},
                )
            contract_file_save(locked, "signed_pdf", "signed.pdf", signed_pdf, written)
            locked.signed_sha256 = hashlib.sha256(signed_pdf).hexdigest()
            locked.archive_expires_at = archive_expires_at
            locked.signing_method = method
            locked.mandate_ref = mandate_ref
            locked.signed_by = person
            details: dict[str, Any] = {
                "signed_sha256": locked.signed_sha256,
                "method": method,
                "mandate": mandate_ref,
                "evidence": evidence or {},
            }
            if locked.for_company:
                # Who signed for the company, and as what, at this moment.
                role = company_signer(locked, person)
                assert isinstance(role, CompanyRole)  # checked just above
                locked.signer_role = role.role
                details["for_company"] = {
                    "number": locked.recipient_company_number,
                    "name": locked.recipient_company_name,
                }
                details["signer"] = {
                    "person": person.pk,
                    "name": person.get_full_name(),
                    "role": role.role,
                }
            contract_transition(
                locked,
                ContractStatus.SIGNED,
                actor=person,
                context=context,
                data=details,
                extra_fields=(
                    "signed_pdf",
                    "signed_sha256",
                    "archive_expires_at",
                    "signing_method",
                    "mandate_ref",
                    "signed_by",
                    "signer_role",
                ),
            )
            if also is not None:
                also()
    if expired:
        raise ContractNotSignable(
            gettext("The deadline to sign this contract has passed."), code="deadline_passed"
        )
    contract.refresh_from_db()
    return contract


def _archive_expires_at(signed_pdf: bytes, contract: Contract) -> datetime | None:
    """When the signed PDF's newest document time-stamp's certificate ends
    (the daily archive renewal then finds it without reading the file);
    None when it has none or it cannot be read here (the renewal reads the
    file once and records it)."""
    try:
        return signing_selectors.archive_state(signed_pdf).expires_at
    except DocumentRejected as exc:
        logger.warning("contract %s: document time-stamps unread: %s", contract.public_id, exc)
        return None


def contract_eid_prepare(
    *,
    contract: Contract,
    person: Person,
    certificate: bytes,
    evidence: dict[str, Any],
    context: Context = SYSTEM,
) -> signing_services.EidSigningRequest:
    """The card's signing ``certificate`` checked for ``person`` (Belgian
    CA, nonRepudiation, valid, not revoked by OCSP, the recipient's
    national number) and ``contract``'s document prepared: the hash the
    card must sign. The contract's evidence gets the certificate checked
    (``evidence``, what to keep of it) and the signature prepared.

    Refuses what :func:`contract_check_signable` refuses (nothing
    recorded); a refused certificate raises ``CertificateRejected`` after
    its reason is added to the evidence (never another person's
    certificate). Raises ``ContractError`` for a document missing or
    altered and ``SigningError`` when the engine cannot prepare."""
    contract_check_signable(contract=contract, person=person)
    document = contract_signing_input(contract=contract)
    try:
        prepared = signing_services.eid_signature_prepare(
            person=person,
            document=document.document,
            document_ref=document.document_ref,
            certificate=certificate,
            field_name=document.field_name,
            placement=document.placement,
            for_company=document.for_company,
            context=context,
        )
    except CertificateRejected as exc:
        contract_evidence_add(
            contract=contract,
            step="eid_certificate_checked",
            person=person,
            data={"accepted": False, "reason": exc.code},
            context=context,
        )
        raise
    with transaction.atomic():
        contract_evidence_add(
            contract=contract,
            step="eid_certificate_checked",
            person=person,
            data={"accepted": True, **evidence},
            context=context,
        )
        contract_evidence_add(
            contract=contract,
            step="signature_prepared",
            person=person,
            data={"prepared_id": prepared.prepared_id, "hash_function": prepared.hash_function},
            context=context,
        )
    return prepared


def contract_sign_with_eid(
    *,
    contract: Contract,
    person: Person,
    prepared_id: str,
    signature_value: bytes,
    evidence: dict[str, Any] | None = None,
    context: Context = SYSTEM,
) -> Contract:
    """The recipient's eID card signature (step 2 of
    :func:`paraph.signing.services.eid_signature_prepare`) put in the
    contract: the signed PDF made outside any transaction (the time-stamp
    authority and OCSP answer then), then in one transaction the contract
    signed, the prepared signature used up and the card's signature in the
    audit log; or, if the contract is no longer signable meanwhile
    (revoked, expired, signed elsewhere), none of them. Raises what
    :func:`contract_check_signable`, :func:`contract_sign_record` and
    ``eid_signature_complete`` raise."""
    from paraph.signing import services as signing

    contract_check_signable(contract=contract, person=person)
    document_ref = contract_signing_input(contract=contract).document_ref
    signed = signing.eid_signature_complete(
        person=person,
        prepared_id=prepared_id,
        document_ref=document_ref,
        signature_value=signature_value,
    )
    return contract_sign_record(
        contract=contract,
        person=person,
        signed_pdf=signed,
        method=SigningMethod.EID,
        evidence={"prepared_id": prepared_id, **(evidence or {})},
        context=context,
        also=lambda: signing.eid_signature_record(
            person=person,
            prepared_id=prepared_id,
            document_ref=document_ref,
            signed=signed,
            context=context,
        ),
    )


# Steps of the signing flow that change no state but belong in the evidence.
EVIDENCE_STEPS = frozenset(
    {
        "viewed",
        "code_sent",
        "code_verified",
        "code_failed",
        "eid_certificate_checked",
        "signature_prepared",
        "downloaded_by_recipient",
    }
)


def contract_evidence_add(
    *,
    contract: Contract,
    step: str,
    person: Person | None = None,
    data: dict[str, Any] | None = None,
    context: Context = SYSTEM,
) -> ContractEvent:
    """Add a step of the signing flow to the contract's evidence (a one-time
    code sent or verified for it, an eID certificate checked, a signature
    prepared...): one evidence event and one audit event, no change of
    state. ``step`` is one of :data:`EVIDENCE_STEPS`; ``data`` must hold
    no secret (never the code itself)."""
    if step not in EVIDENCE_STEPS:
        raise ValueError(f"unknown evidence step {step!r}")
    with transaction.atomic():
        event = contract_event(contract, step, actor=person, context=context, data=data)
        audit_record(
            name="contracts.contract.evidence_added",
            actor=person,
            subject=contract,
            data={"contract": str(contract.public_id), "step": step, **(data or {})},
            context=context,
        )
    return event
