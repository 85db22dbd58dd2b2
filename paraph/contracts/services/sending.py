"""Sending a contract to its recipient (ES-2, ES-3): the e-mail with the
contract's link (and the activation link for an adminbox not active
yet), the SMS when the person chose it, a company's users told."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import Language, NotificationChannel, Person
from paraph.contracts.companies import CompanyRecipientRefused, company_directory
from paraph.contracts.models import (
    Contract,
    ContractStatus,
    LinkPurpose,
)
from paraph.contracts.selectors import adminbox_is_active
from paraph.contracts.services.common import (
    contract_lock,
    contract_transition,
    moment_format,
)
from paraph.contracts.services.errors import (
    ContractStateError,
)
from paraph.contracts.services.links import (
    access_link_url,
    link_create,
    short_link_create,
    short_link_url,
)
from paraph.core.context import SYSTEM, Context
from paraph.notifications.models import SmsPurpose
from paraph.notifications.services import SmsNotAllowed, email_send, sms_check_allowed, sms_send
from paraph.senders.models import ApiKey

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


def send_locked(
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
        return send_locked(locked, actor=actor, api_key=api_key, context=context)
