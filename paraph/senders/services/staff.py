"""Senders and their staff: a sender created (with its webhook secret), a
member added or given another role."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from paraph.accounts.models import Language, Person
from paraph.audit.services import audit_record
from paraph.core.belgium import enterprise_number_normalize
from paraph.core.context import SYSTEM, Context
from paraph.core.sealing import seal
from paraph.senders.models import (
    Sender,
    SenderMembership,
    SenderRole,
)

# --- Senders and their staff -------------------------------------------------


def webhook_secret_generate() -> str:
    """A new webhook signing secret (256 random bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sender_create(
    *,
    name: str,
    enterprise_number: str,
    contact_email: str,
    language: str = "fr",
    actor: Person | None = None,
    context: Context = SYSTEM,
) -> Sender:
    """A new sender organisation, with a fresh webhook signing secret.
    Refuses (``ValidationError`` by field) an invalid or already registered
    enterprise number and an invalid contact address."""
    name = (name or "").strip()
    errors: dict[str, ValidationError] = {}
    if not name:
        errors["name"] = ValidationError(gettext("Enter the organisation's name."), code="required")
    try:
        number = enterprise_number_normalize(enterprise_number)
    except ValidationError as exc:
        errors["enterprise_number"] = exc
        number = ""
    try:
        validate_email(contact_email)
    except ValidationError:
        errors["contact_email"] = ValidationError(
            gettext("Enter an e-mail address like name@example.be."), code="invalid"
        )
    if number and Sender.objects.filter(enterprise_number=number).exists():
        errors["enterprise_number"] = ValidationError(
            gettext("A sender with this enterprise number already exists."), code="taken"
        )
    if language not in Language.values:
        errors["language"] = ValidationError(
            gettext("Choose French, Dutch, German or English."), code="invalid"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sender = Sender.objects.create(
            name=name,
            enterprise_number=number,
            contact_email=contact_email.strip(),
            language=language,
            webhook_secret_sealed=seal({"secret": webhook_secret_generate()}),
        )
        audit_record(
            name="senders.sender.created",
            actor=actor,
            subject=sender,
            data={"enterprise_number": number, "contact_email": sender.contact_email},
            context=context,
        )
    return sender


def sender_member_add(
    *,
    sender: Sender,
    person: Person,
    role: str = SenderRole.STAFF,
    actor: Person | None = None,
    context: Context = SYSTEM,
) -> SenderMembership:
    """Give ``person`` access to ``sender``'s back office with ``role``
    (or change their role). They log in with the usual SMS code."""
    if role not in SenderRole.values:
        raise ValueError(f"unknown sender role {role!r}")
    with transaction.atomic():
        membership, created = SenderMembership.objects.select_for_update().get_or_create(
            sender=sender, person=person, defaults={"role": role}
        )
        old_role = None if created else membership.role
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        if created or old_role != role:
            audit_record(
                name="senders.member.added",
                actor=actor,
                subject=membership,
                data={"sender": sender.pk, "person": person.pk, "role": role, "old_role": old_role},
                context=context,
            )
    return membership


def sender_member_remove(
    *, membership: SenderMembership, actor: Person | None, context: Context = SYSTEM
) -> None:
    with transaction.atomic():
        audit_record(
            name="senders.member.removed",
            actor=actor,
            subject=membership.sender,
            data={"person": membership.person_id, "role": membership.role},
            context=context,
        )
        membership.delete()
