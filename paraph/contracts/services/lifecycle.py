"""A contract after it was sent: opened and refused by its recipient,
revoked by its sender, archived when its deadline passed; and the
sender's downloads audited."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from paraph.accounts.models import Language, Person
from paraph.contracts.companies import company_directory
from paraph.contracts.models import (
    SIGNABLE,
    Contract,
    ContractStatus,
)
from paraph.contracts.services.common import (
    contract_audit,
    contract_expire_locked,
    contract_lock,
    contract_transition,
    sender_language,
)
from paraph.contracts.services.errors import (
    ContractAccessDenied,
)
from paraph.contracts.services.signing import not_signable_reason
from paraph.core.context import SYSTEM, Context
from paraph.notifications.services import email_send
from paraph.senders.models import ApiKey

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
