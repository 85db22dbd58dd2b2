"""The people contracts reach: the recipient found or created (RG-3: an
e-mail address is strictly personal), and the merging of two adminboxes
(ES-12): an address attached to a person, contracts and links moved."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod
from paraph.audit.services import audit_record
from paraph.contracts.models import AccessLink, Contract, ContractEvent, RecipientAlias
from paraph.contracts.selectors import recipient_find
from paraph.contracts.services.common import actor_label
from paraph.contracts.services.data import RecipientData
from paraph.contracts.services.errors import ContractInvalid, FieldError
from paraph.core.context import SYSTEM, Context
from paraph.senders.models import Sender

# --- The recipient of a new contract ------------------------------------------------------


def recipient_conflicts(
    recipient: RecipientData, *, sender: Sender
) -> tuple[Person | None, list[FieldError]]:
    """The person the contract reaches (None: a new one) and RG-3's refusals:
    an e-mail address is strictly personal, so a national number that
    belongs to someone with another address, or an address whose person has
    another national number, is refused.

    Only to a sender that already sent a contract to that person (issue 14):
    to any other, the refusal would tell whether a national number or an
    address belongs to someone. Their contract is made as for an unknown
    number, and RG-3 holds when signing: a person whose national number is
    not the contract's cannot sign it (:func:`not_signable_reason`)."""
    person = recipient_find(email=recipient.email)
    nn = recipient.national_number
    if not nn:
        return person, []

    def knows(someone: Person) -> bool:
        return Contract.objects.filter(sender=sender, recipient=someone).exists()

    holder = Person.objects.filter(national_number=nn).first()
    if holder is not None and (person is None or holder.pk != person.pk) and knows(holder):
        return person, [
            FieldError(
                "recipient.national_number",
                "belongs_to_another_address",
                gettext(
                    "This national register number belongs to a person registered with "
                    "another e-mail address. An e-mail address is strictly personal: send the "
                    "contract to that person's own address."
                ),
            )
        ]
    if (
        person is not None
        and person.national_number
        and person.national_number != nn
        and knows(person)
    ):
        return person, [
            FieldError(
                "recipient.email",
                "belongs_to_another_person",
                gettext(
                    "This e-mail address belongs to a person with another national register "
                    "number. An e-mail address is strictly personal: check the address."
                ),
            )
        ]
    return person, []


def recipient_get_or_create(
    recipient: RecipientData, *, sender: Sender, context: Context
) -> tuple[Person, bool]:
    """The recipient, created when the address is new to Paraph: names,
    e-mail and phone from the contract, nothing verified yet (activating the
    adminbox proves them, ES-4). In the caller's transaction."""
    person, errors = recipient_conflicts(recipient, sender=sender)
    if errors:
        raise ContractInvalid(errors)
    if person is not None:
        return person, False
    phone = recipient.phone
    if phone and Person.objects.filter(phone=phone).exists():
        # Someone else's phone: the contract keeps it, the new person does not
        # (activation asks this person for their own, and verifies it).
        phone = ""

    def create(phone: str) -> Person:
        with transaction.atomic():
            return Person.objects.create_user(
                recipient.email,
                first_name=recipient.first_name,
                last_name=recipient.last_name,
                phone=phone,
                language=recipient.language or settings.LANGUAGE_CODE,
                assurance_level=AssuranceLevel.NONE,
                registration_method=RegistrationMethod.ADMINBOX,
            )

    try:
        person = create(phone)
    except IntegrityError:
        # Another request (or worker of the same batch) created this person
        # a moment ago; or gave this phone to someone else: as above.
        found = recipient_find(email=recipient.email)
        if found is not None:
            return found, False
        if not phone:
            raise
        phone = ""
        person = create(phone)
    audit_record(
        name="contracts.recipient.created",
        subject=person,
        data={"registration_method": RegistrationMethod.ADMINBOX, "has_phone": bool(phone)},
        context=context,
    )
    return person, True


# --- Merging adminboxes (ES-12) ------------------------------------------------------------


def alias_clean(person: Person, email: str) -> str:
    email = Person.objects.normalize_email((email or "").strip())
    validate_email(email)
    if email.lower() == person.email.lower():
        raise ValidationError(gettext("This is already the person's address."), code="own")
    if RecipientAlias.objects.filter(email__ciexact=email).exists():
        raise ValidationError(
            gettext("This address is already attached to an adminbox."), code="taken"
        )
    return email


def recipient_alias_add(
    *,
    person: Person,
    email: str,
    actor: Person | None = None,
    context: Context = SYSTEM,
) -> RecipientAlias:
    """Attach ``email`` to ``person``: contracts sent to it from now on
    reach their adminbox. Refuses (``ValidationError``) an invalid address,
    the person's own, and one already attached to someone."""
    email = alias_clean(person, email)
    with transaction.atomic():
        alias = RecipientAlias.objects.create(person=person, email=email)
        audit_record(
            name="contracts.alias.added",
            actor=actor,
            subject=person,
            data={"email": email},
            context=context,
        )
    return alias


def contracts_move_locked(
    *, source: Person, target: Person, actor: Person | None, context: Context
) -> list[Contract]:
    """Move the contracts and links of ``source`` to ``target`` with one
    evidence event per contract, in the caller's transaction (no audit
    event: the caller writes the one that names the whole change)."""
    if source.pk == target.pk:
        raise ValueError("cannot move contracts to the same person")
    contracts = list(Contract.objects.select_for_update().filter(recipient=source).order_by("pk"))
    Contract.objects.filter(pk__in=[c.pk for c in contracts]).update(recipient=target)
    AccessLink.objects.filter(person=source).update(person=target)
    ContractEvent.objects.bulk_create(
        [
            ContractEvent(
                contract=c,
                name="recipient_moved",
                actor=actor,
                actor_label=actor_label(actor, None),
                ip=context.ip,
                user_agent=context.user_agent,
                data={"from_person": source.pk, "to_person": target.pk},
            )
            for c in contracts
        ]
    )
    return contracts


def contracts_move(
    *,
    source: Person,
    target: Person,
    actor: Person | None = None,
    context: Context = SYSTEM,
) -> int:
    """Move every contract (and its links) of ``source`` to ``target``, as
    one evidence event per contract and one audit event; returns how many.
    The merge decides first that both boxes are one person's."""
    with transaction.atomic():
        contracts = contracts_move_locked(
            source=source, target=target, actor=actor, context=context
        )
        audit_record(
            name="contracts.recipient.moved",
            actor=actor,
            subject=target,
            data={"from_person": source.pk, "contracts": [str(c.public_id) for c in contracts]},
            context=context,
        )
    return len(contracts)
