"""A contract created (and sent at once) from a sender's data and PDF,
and re-offered as a new version that supersedes the old one."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import Language, Person
from paraph.contracts.companies import CompanyFound, CompanyRecipientRefused, company_directory
from paraph.contracts.models import (
    TRANSITIONS,
    BulkBatch,
    BulkItem,
    Contract,
    ContractStatus,
)
from paraph.contracts.services.common import (
    bulk_item_done,
    bulk_item_take,
    contract_audit,
    contract_event,
    contract_lock,
    contract_transition,
)
from paraph.contracts.services.data import (
    ContractData,
    RecipientData,
    SignaturePlacement,
    contract_fields_check,
)
from paraph.contracts.services.documents import (
    contract_file_save,
    document_prepare,
)
from paraph.contracts.services.errors import (
    ContractInvalid,
    ContractStateError,
    FieldError,
)
from paraph.contracts.services.recipients import recipient_conflicts, recipient_get_or_create
from paraph.contracts.services.sending import (
    send_locked,
)
from paraph.core.context import SYSTEM, Context
from paraph.core.outbox import resource_created
from paraph.core.storage import files_removed_on_failure
from paraph.senders.models import ApiKey, Sender

# Closed contracts the sender may still re-offer as a new version: the old
# one keeps its status (what happened to it stays true) and points to it.
REOFFERABLE_CLOSED = frozenset({ContractStatus.REFUSED, ContractStatus.NOT_SIGNED})


# --- Creating ----------------------------------------------------------------------------


def _recipient_checked(
    recipient: RecipientData, sender: Sender, errors: list[FieldError]
) -> tuple[Person | None, CompanyFound | None]:
    """The person Paraph already knows for ``recipient``, or the company it
    names (known to the register and not stopped, ADR 35); what is wrong
    is added to ``errors``. Nothing is looked up when ``errors`` has some."""
    if errors:
        return None, None
    if recipient.company_number:
        try:
            return None, company_directory().recipient(recipient.company_number)
        except CompanyRecipientRefused as refused:
            errors.append(FieldError("company.enterprise_number", refused.code, refused.message))
            return None, None
    known, conflicts = recipient_conflicts(recipient, sender=sender)
    errors.extend(conflicts)
    return known, None


def _superseded(
    old: Contract,
    contract: Contract,
    *,
    actor: Person | None,
    api_key: ApiKey | None,
    context: Context,
) -> None:
    """``old``'s history after ``contract`` replaced it: re-offered when it
    was refused or not signed in time (that stays true), else superseded."""
    if old.status in REOFFERABLE_CLOSED:
        reoffered = {"superseded_by": str(contract.public_id), "version": contract.version}
        contract_event(
            old, "reoffered", actor=actor, api_key=api_key, context=context, data=reoffered
        )
        contract_audit(
            "contracts.contract.reoffered",
            old,
            actor=actor,
            api_key=api_key,
            context=context,
            data=reoffered,
        )
        return
    contract_transition(
        old,
        ContractStatus.SUPERSEDED,
        actor=actor,
        api_key=api_key,
        context=context,
        data={"superseded_by": str(contract.public_id)},
    )


def contract_create(
    *,
    sender: Sender,
    data: ContractData,
    pdf: bytes,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    batch: BulkBatch | None = None,
    bulk_item: BulkItem | None = None,
    context: Context = SYSTEM,
    send: bool = True,
    _supersedes: Contract | None = None,
) -> Contract:
    """A new contract from ``sender`` (by a staff member ``actor`` or an
    ``api_key``), sent at once unless ``send`` is False.

    Every problem with the data is reported at once
    (:class:`ContractInvalid`, nothing written): an invalid address, phone
    or national number; a deadline that passed or falls after the start of
    work (the law on temporary work: signed before work starts; the
    deadline defaults to the start of work); RG-3 (an e-mail address is
    strictly personal); a PDF that is not a readable, unprotected PDF of at
    most ``SIGNING_MAX_PDF_BYTES``; a signature placement outside the
    document. A recipient new to Paraph gets an account (registration
    method "adminbox", nothing verified yet).

    With a ``bulk_item`` (of ``batch``), the item is marked created in the
    same transaction, so a batch resumed after a crash never makes its
    contract twice: :class:`BulkItemTaken` when it was already made."""
    now = timezone.now()
    recipient, start, deadline, errors = contract_fields_check(data, now=now)
    known, company = _recipient_checked(recipient, sender, errors)
    if errors:
        raise ContractInvalid(errors)
    language = recipient.language or settings.LANGUAGE_CODE
    if known is not None and known.language in Language.values:
        language = known.language
    contract = Contract(
        sender=sender,
        title=data.title.strip(),
        external_reference=(data.external_reference or "").strip(),
        recipient_company_number=company.number if company else "",
        recipient_company_name=company.name[:320] if company else "",
        recipient_first_name=recipient.first_name,
        recipient_last_name=recipient.last_name,
        recipient_email=recipient.email,
        recipient_phone=recipient.phone,
        recipient_national_number=recipient.national_number,
        start_of_work=start,
        deadline=deadline,
        placement_page=(data.placement.page - 1)
        if data.placement is not None and data.placement.page
        else -1,
        placement_box=list(data.placement.box)
        if data.placement is not None and data.placement.box
        else None,
        created_by=actor,
        api_key=api_key,
        batch=batch,
        original_sha256=hashlib.sha256(pdf).hexdigest(),
        original_size=len(pdf),
    )
    # The costly part (sealing: a signature and a time-stamp) before any write
    # and outside any lock; a refused PDF leaves nothing behind.
    document, sealed, signature_field = document_prepare(
        pdf=pdf, placement=data.placement, language=language, ref=contract.document_ref
    )
    contract.sealed = sealed
    contract.signature_field = signature_field
    contract.document_sha256 = hashlib.sha256(document).hexdigest()
    with files_removed_on_failure(default_storage) as written, transaction.atomic():
        if bulk_item is not None:
            bulk_item_take(bulk_item)
        created = False
        if company is None:
            person, created = recipient_get_or_create(recipient, sender=sender, context=context)
            contract.recipient = person
            contract.language = person.language
        else:
            contract.language = language
        if _supersedes is not None:
            old = contract_lock(_supersedes)
            _reoffer_check(old)
            contract.supersedes = old
            contract.version = old.version + 1
        contract_file_save(contract, "original_pdf", "original.pdf", pdf, written)
        contract_file_save(contract, "document_pdf", "document.pdf", document, written)
        contract.save()
        details = {
            "original_sha256": contract.original_sha256,
            "document_sha256": contract.document_sha256,
            "sealed": sealed,
            "recipient_created": created,
            "version": contract.version,
        }
        if company is not None:
            details["company"] = {
                "number": company.number,
                "name": contract.recipient_company_name,
                "registered": company.registered,
            }
        contract_event(
            contract, "created", actor=actor, api_key=api_key, context=context, data=details
        )
        contract_audit(
            "contracts.contract.created",
            contract,
            actor=actor,
            api_key=api_key,
            context=context,
            data=details,
        )
        if _supersedes is not None:
            _superseded(old, contract, actor=actor, api_key=api_key, context=context)
        if send:
            send_locked(contract, actor=actor, api_key=api_key, context=context)
        if bulk_item is not None:
            bulk_item_done(bulk_item, contract=contract, errors=[])
        else:
            resource_created.send(sender=Contract, subject=contract)
    return contract


def _reoffer_check(contract: Contract) -> None:
    """Refuse to re-offer ``contract`` (:class:`ContractStateError`) when it
    is signed, revoked or already replaced by a newer version."""
    if contract.status in REOFFERABLE_CLOSED:
        if Contract.objects.filter(supersedes=contract).exists():
            raise ContractStateError(
                gettext("A new version of this contract was already sent."), code="final"
            )
        return
    if ContractStatus.SUPERSEDED not in TRANSITIONS.get(contract.status, frozenset()):
        raise ContractStateError(
            gettext("This contract can no longer be replaced (it is %(status)s).")
            % {"status": contract.get_status_display()},
            code="already_signed" if contract.status == ContractStatus.SIGNED else "final",
        )


def contract_can_reoffer(contract: Contract) -> bool:
    """Whether the sender may still re-offer ``contract`` as a new version."""
    try:
        _reoffer_check(contract)
    except ContractStateError:
        return False
    return True


def contract_reoffer(
    *,
    contract: Contract,
    pdf: bytes,
    title: str | None = None,
    start_of_work: dt.datetime | None = None,
    deadline: dt.datetime | None = None,
    placement: SignaturePlacement | None = None,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> Contract:
    """Replace ``contract`` by a new version (a changed PDF, and what else
    is given), sent to the same recipient; the old one becomes
    ``superseded`` and can no longer be signed. A refused contract, or one
    not signed in time, keeps its status and gets a ``reoffered`` event
    naming the new version. Refuses a contract that is signed, revoked or
    already replaced (:class:`ContractStateError`)."""
    _reoffer_check(contract)
    start = start_of_work or contract.start_of_work
    if deadline is None:
        deadline = start if start_of_work is not None else contract.deadline
    data = ContractData(
        title=title or contract.title,
        recipient=RecipientData(
            first_name=contract.recipient_first_name,
            last_name=contract.recipient_last_name,
            email=contract.recipient_email,
            phone=contract.recipient_phone,
            national_number=contract.recipient_national_number,
            language=contract.language if contract.for_company else None,
            company_number=contract.recipient_company_number or None,
        ),
        start_of_work=start,
        deadline=deadline,
        placement=placement
        or SignaturePlacement(
            page=contract.placement_page + 1 if contract.placement_page >= 0 else None,
            box=tuple(contract.placement_box) if contract.placement_box else None,
        ),
        external_reference=contract.external_reference,
    )
    return contract_create(
        sender=contract.sender,
        data=data,
        pdf=pdf,
        actor=actor,
        api_key=api_key,
        context=context,
        _supersedes=contract,
    )
