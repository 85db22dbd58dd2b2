"""A contract from creation to its close: created (and sent at once), sent
by e-mail or SMS, re-offered as a new version, opened, refused, revoked,
archived when its deadline passed; and the sender's downloads audited."""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import Language, NotificationChannel, Person
from paraph.contracts.companies import CompanyFound, CompanyRecipientRefused, company_directory
from paraph.contracts.models import (
    SIGNABLE,
    TRANSITIONS,
    BulkBatch,
    BulkItem,
    Contract,
    ContractStatus,
    LinkPurpose,
)
from paraph.contracts.selectors import adminbox_is_active
from paraph.contracts.services.common import (
    bulk_item_done,
    bulk_item_take,
    contract_audit,
    contract_event,
    contract_expire_locked,
    contract_lock,
    contract_transition,
    moment_format,
    sender_language,
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
    ContractAccessDenied,
    ContractInvalid,
    ContractStateError,
    FieldError,
)
from paraph.contracts.services.links import (
    access_link_url,
    link_create,
    short_link_create,
    short_link_url,
)
from paraph.contracts.services.recipients import recipient_conflicts, recipient_get_or_create
from paraph.contracts.services.signing import not_signable_reason
from paraph.core.context import SYSTEM, Context
from paraph.core.outbox import resource_created
from paraph.core.storage import files_removed_on_failure
from paraph.notifications.models import SmsPurpose
from paraph.notifications.services import SmsNotAllowed, email_send, sms_check_allowed, sms_send
from paraph.senders.models import ApiKey, Sender

# Closed contracts the sender may still re-offer as a new version: the old
# one keeps its status (what happened to it stays true) and points to it.
REOFFERABLE_CLOSED = frozenset({ContractStatus.REFUSED, ContractStatus.NOT_SIGNED})


# --- Sending ------------------------------------------------------------------------------


def _sms_announce(person: Person) -> bool:
    """Whether a new contract is announced to ``person`` by SMS (ES-9):
    their adminbox is active, they chose SMS, their phone is verified, and
    RG-7 allows a notification on it (they consented); otherwise by
    e-mail."""
    if person.notification_channel != NotificationChannel.SMS or not adminbox_is_active(person):
        return False
    try:
        sms_check_allowed(person=person, to=person.phone, purpose=SmsPurpose.NOTIFICATION)
    except SmsNotAllowed:
        return False
    return True


def _preferences_url() -> str:
    """Where a person identifies another address of theirs (ES-12)."""
    return f"{settings.BASE_URL}{reverse('adminbox:preferences')}"


def _send_company_locked(
    contract: Contract,
    *,
    actor: Person | None,
    api_key: ApiKey | None,
    context: Context,
) -> Contract:
    """A company's contract announced to the address the sender gave: no
    personal link (whoever opens it logs in and acts for the company);
    when the company is not registered on Paraph yet, the e-mail says how
    its digital representative registers it, and the contract waits in
    the company's adminbox (ADR 35)."""
    language = contract.language if contract.language in Language.values else settings.LANGUAGE_CODE
    try:
        found = company_directory().recipient(contract.recipient_company_number)
        registered = found.registered
    except CompanyRecipientRefused:
        registered = False
    message = email_send(
        to=contract.recipient_email,
        template="contract_new_company",
        context={
            "company": contract.recipient_name,
            "sender": contract.sender.name,
            "title": contract.title,
            "deadline": moment_format(contract.deadline, language),
            "registered": registered,
            # Behind log-in, after choosing to act for the company.
            "contract_url": settings.BASE_URL
            + reverse("companies:act")
            + "?"
            + urlencode({"next": reverse("adminbox:contract", args=[contract.public_id])}),
            "register_url": settings.BASE_URL + reverse("companies:register"),
            "new_version": contract.supersedes_id is not None,
        },
        language=language,
    )
    return contract_transition(
        contract,
        ContractStatus.SENT,
        actor=actor,
        api_key=api_key,
        context=context,
        data={
            "to": contract.recipient_email,
            "channel": "email",
            "company": contract.recipient_company_number,
            "company_registered": registered,
            "message": message.pk,
        },
    )


def _send_locked(
    contract: Contract,
    *,
    actor: Person | None,
    api_key: ApiKey | None,
    context: Context,
) -> Contract:
    if contract.for_company:
        return _send_company_locked(contract, actor=actor, api_key=api_key, context=context)
    person = contract.recipient
    assert person is not None
    expires_at = timezone.now() + dt.timedelta(days=settings.CONTRACT_LINK_DAYS)
    language = person.language if person.language in Language.values else settings.LANGUAGE_CODE
    superseded = contract.supersedes_id is not None
    if _sms_announce(person):
        # ES-9: one SMS with a short link to the contract behind log-in.
        code = short_link_create(person=person, contract=contract, expires_at=expires_at)
        message = sms_send(
            to=person.phone,
            template="contract_new",
            context={
                "sender": contract.sender.name,
                "title": contract.title,
                "deadline": moment_format(contract.deadline, language),
                "url": short_link_url(code),
                "new_version": superseded,
            },
            language=language,
            person=person,
            secret=True,
            purpose=SmsPurpose.NOTIFICATION,
        )
        return contract_transition(
            contract,
            ContractStatus.SENT,
            actor=actor,
            api_key=api_key,
            context=context,
            data={
                "to": person.phone,
                "channel": "sms",
                "links": [LinkPurpose.SHORT_CONTRACT.value],
                "message": message.pk,
            },
        )
    contract_token = link_create(
        person=person,
        purpose=LinkPurpose.OPEN_CONTRACT,
        contract=contract,
        expires_at=expires_at,
    )
    links = [LinkPurpose.OPEN_CONTRACT.value]
    activate_url = ""
    if not adminbox_is_active(person):
        # ES-3: the address has no active adminbox yet: one link activates it,
        # the other leads to the contract (through activation first, ES-4).
        activate_url = access_link_url(
            LinkPurpose.ACTIVATE,
            link_create(
                person=person,
                purpose=LinkPurpose.ACTIVATE,
                contract=contract,
                expires_at=expires_at,
            ),
        )
        links.insert(0, LinkPurpose.ACTIVATE.value)
    message = email_send(
        to=contract.recipient_email,
        template="contract_new",
        context={
            "name": contract.recipient_name,
            "sender": contract.sender.name,
            "title": contract.title,
            "deadline": moment_format(contract.deadline, language),
            "activate_url": activate_url,
            "contract_url": access_link_url(LinkPurpose.OPEN_CONTRACT, contract_token),
            # A new address may be a second adminbox of someone (ES-12).
            "identify_url": _preferences_url() if activate_url else "",
            "new_version": superseded,
        },
        language=language,
        person=person,
        secret=True,  # the links are personal
    )
    return contract_transition(
        contract,
        ContractStatus.SENT,
        actor=actor,
        api_key=api_key,
        context=context,
        data={
            "to": contract.recipient_email,
            "channel": "email",
            "links": links,
            "message": message.pk,
        },
    )


def contract_send(
    *,
    contract: Contract,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> Contract:
    """Send a created contract to its recipient: the e-mail (ES-2, ES-3)
    with the contract's link, and the activation link when the recipient's
    adminbox is not active yet. Refuses any other state."""
    with transaction.atomic():
        locked = contract_lock(contract)
        if locked.status != ContractStatus.CREATED:
            raise ContractStateError(
                f"a {locked.status} contract cannot be sent", code="not_created"
            )
        if locked.deadline_passed():
            raise ContractStateError(
                gettext("The signing deadline has passed: the contract can no longer be sent."),
                code="deadline_passed",
            )
        return _send_locked(locked, actor=actor, api_key=api_key, context=context)


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
            _send_locked(contract, actor=actor, api_key=api_key, context=context)
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


# --- The recipient's side (called by the adminbox) ----------------------------------------


def contract_open(*, contract: Contract, person: Person, context: Context = SYSTEM) -> Contract:
    """The recipient opens (views) the contract: ``sent`` becomes
    ``opened`` (once; later views change nothing). A contract whose deadline
    passed is archived as ``not_signed`` there and then. Refuses anyone but
    the recipient (:class:`ContractAccessDenied`: show a 404)."""
    with transaction.atomic():
        locked = contract_lock(contract)
        if locked.for_company:
            if (
                company_directory().role(person=person, number=locked.recipient_company_number)
                is None
            ):
                raise ContractAccessDenied("not a contract of a company of this person")
        elif locked.recipient_id != person.pk:
            raise ContractAccessDenied("not this person's contract")
        if locked.status in SIGNABLE and locked.deadline_passed():
            return contract_expire_locked(locked, context=context)
        if locked.status == ContractStatus.SENT:
            return contract_transition(locked, ContractStatus.OPENED, actor=person, context=context)
        return locked


def contract_refuse(
    *, contract: Contract, person: Person, reason: str = "", context: Context = SYSTEM
) -> Contract:
    """The recipient declines to sign; the sender is told, with the reason
    given (webhook ``contract.refused`` and an e-mail to its contact
    address). Refuses what :func:`contract_check_signable` refuses."""
    with transaction.atomic():
        locked = contract_lock(contract)
        problem = not_signable_reason(locked, person)
        if problem is not None:
            raise problem
        reason = (reason or "").strip()[:1000]
        contract_transition(
            locked, ContractStatus.REFUSED, actor=person, context=context, data={"reason": reason}
        )
        email_send(
            to=locked.sender.contact_email,
            template="contract_refused",
            context={
                "sender": locked.sender.name,
                "title": locked.title,
                "recipient": locked.recipient_name,
                "reference": locked.external_reference,
                "contract_id": str(locked.public_id),
                "reason": reason,
                "url": settings.BASE_URL
                + reverse("senders:contract_detail", args=[locked.public_id]),
            },
            language=sender_language(locked.sender),
        )
        return locked


# --- The sender's side -------------------------------------------------------------------


def contract_revoke(
    *,
    contract: Contract,
    reason: str = "",
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> Contract:
    """The sender withdraws the contract (until it is signed); a recipient
    who had received it is told by e-mail. Refuses a signed contract
    (``already_signed``) and one that is already closed (``final``)."""
    with transaction.atomic():
        locked = contract_lock(contract)
        was_sent = locked.status in SIGNABLE
        contract_transition(
            locked,
            ContractStatus.REVOKED,
            actor=actor,
            api_key=api_key,
            context=context,
            data={"reason": (reason or "").strip()[:1000]},
        )
        if was_sent:
            language = (
                locked.language if locked.language in Language.values else settings.LANGUAGE_CODE
            )
            email_send(
                to=locked.recipient_email,
                template="contract_revoked",
                context={
                    "name": locked.recipient_name,
                    "sender": locked.sender.name,
                    "title": locked.title,
                },
                language=language,
                person=locked.recipient,
            )
    return locked


def contract_expire(*, contract: Contract, now: dt.datetime | None = None) -> bool:
    """Archive ``contract`` as ``not_signed`` if its deadline passed while
    it waited for a signature; tells the sender (webhook
    ``contract.expired`` and an e-mail to its contact address). Returns
    whether it did."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = contract_lock(contract)
        if locked.status not in (ContractStatus.CREATED, *SIGNABLE) or locked.deadline > now:
            return False
        contract_expire_locked(locked)
    return True


def contracts_expire_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Archive every contract whose deadline passed (the periodic task and
    ``paraph contracts-expire``); returns how many. Safe to run at any time
    and on several workers at once: each contract is re-checked under its
    lock."""
    now = now or timezone.now()
    due = Contract.objects.filter(
        status__in=[ContractStatus.CREATED, *SIGNABLE], deadline__lte=now
    ).order_by("deadline", "pk")[:limit]
    return sum(1 for contract in due if contract_expire(contract=contract, now=now))


def contract_download_record(
    *,
    contract: Contract,
    what: str,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> None:
    """Audit that the sender's staff or systems downloaded ``what``
    (``original``, ``document``, ``signed``, ``evidence``)."""
    with transaction.atomic():
        contract_audit(
            "contracts.contract.downloaded",
            contract,
            actor=actor,
            api_key=api_key,
            context=context,
            data={"what": what},
        )
