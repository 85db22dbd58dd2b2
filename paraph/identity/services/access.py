"""Regaining access: a new phone (LG-4) and a new e-mail address (LG-3),
each proven by a code after an identity log-in."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from paraph.accounts.models import (
    CodeChannel,
    CodePurpose,
    Person,
)
from paraph.accounts.services import (
    CodeCheck,
    CodeOutcome,
    code_issue,
    code_proves,
    code_verify,
    person_contact_set,
    phone_taken_error,
)
from paraph.core.belgium import phone_mask
from paraph.core.context import Context
from paraph.identity.services.contact import email_taken_error
from paraph.notifications.addresses import mask_destination
from paraph.notifications.models import SmsPurpose
from paraph.notifications.services import email_send, sms_send

# --- Regaining access: a new phone (LG-4), a new e-mail address (LG-3) -------


def new_phone_code_send(*, person: Person, phone: str, context: Context) -> str:
    """Send a verification code to the person's new mobile number; returns
    the attempt token. Refuses, with a ``ValidationError`` on ``phone``,
    the current number and a number of another person."""
    if phone == person.phone:
        raise ValidationError(
            {
                "phone": ValidationError(
                    gettext("This already is the number on your account."), code="unchanged"
                )
            }
        )
    if Person.objects.filter(phone=phone).exclude(pk=person.pk).exists():
        raise phone_taken_error()
    _code, token = code_issue(
        purpose=CodePurpose.PHONE_VERIFY,
        channel=CodeChannel.SMS,
        destination=phone,
        person=person,
        language=person.language,
        context=context,
        audit_name="accounts.code.sent",
    )
    return token


def person_phone_rebind(
    *,
    person: Person,
    new_phone: str,
    binding_token: str,
    value: str,
    method: str,
    context: Context,
) -> CodeCheck:
    """LG-4: bind the new mobile number whose SMS code the person typed,
    after they logged in with itsme or the eID card (``method``). The old
    number (by SMS) and the e-mail address are told; a log-in lock-out is
    lifted (the person just proved who they are). Returns the code check;
    only ``ok`` changed anything."""
    with transaction.atomic():
        check = code_verify(
            binding_token=binding_token,
            purpose=CodePurpose.PHONE_VERIFY,
            value=value,
            context=context,
        )
        if check.outcome != CodeOutcome.OK:
            return check
        if not code_proves(check, channel=CodeChannel.SMS, destination=new_phone, person=person):
            return CodeCheck(CodeOutcome.UNKNOWN, 0)
        locked, old = person_contact_set(
            person=person,
            kind="phone",
            value=new_phone,
            actor=None,
            taken=phone_taken_error(),
            audit_data={"by": "self", "method": method},
            unlock=True,
            context=context,
        )
        values = {
            "name": locked.get_full_name(),
            "old": phone_mask(old) if old else "",
            "new": phone_mask(new_phone),
            "method": method,
        }
        if old:
            # A security notice about the log-in phone itself, not another
            # use of the number (RG-7): the old phone no longer gets codes.
            sms_send(
                to=old,
                template="identity_phone_changed",
                context=values,
                language=locked.language,
                purpose=SmsPurpose.NOTIFICATION,
            )
        email_send(
            to=locked.email,
            template="identity_phone_changed",
            context=values,
            language=locked.language,
            person=locked,
        )
    return check


def email_change_code_send(*, person: Person, new_email: str, context: Context) -> str:
    """Send a verification code to the new address (LG-3); returns the
    attempt token. Refuses, with a ``ValidationError`` on ``email``, the
    current address and an address of another person (RG-3)."""
    new_email = Person.objects.normalize_email(new_email.strip())
    if new_email.lower() == person.email.lower():
        raise ValidationError(
            {
                "email": ValidationError(
                    gettext("This already is the address on your account."), code="unchanged"
                )
            }
        )
    if Person.objects.filter(email__ciexact=new_email).exclude(pk=person.pk).exists():
        raise email_taken_error()
    _code, token = code_issue(
        purpose=CodePurpose.EMAIL_VERIFY,
        channel=CodeChannel.EMAIL,
        destination=new_email,
        person=person,
        language=person.language,
        context=context,
    )
    return token


def person_email_change_self(
    *,
    person: Person,
    new_email: str,
    binding_token: str,
    value: str,
    context: Context,
) -> CodeCheck:
    """LG-3 without the contact centre: a person logged in with high
    assurance changes their e-mail address, proven by the code sent to
    it. The old and the new address are told. Returns the code check; only
    ``ok`` changed anything."""
    new_email = Person.objects.normalize_email(new_email.strip())
    with transaction.atomic():
        check = code_verify(
            binding_token=binding_token,
            purpose=CodePurpose.EMAIL_VERIFY,
            value=value,
            context=context,
        )
        if check.outcome != CodeOutcome.OK:
            return check
        if not code_proves(check, channel=CodeChannel.EMAIL, destination=new_email, person=person):
            return CodeCheck(CodeOutcome.UNKNOWN, 0)
        locked, old = person_contact_set(
            person=person,
            kind="email",
            value=new_email,
            actor=None,
            taken=email_taken_error(),
            audit_data={"by": "self"},
            context=context,
        )
        for to in (old, new_email):
            email_send(
                to=to,
                template="identity_email_changed",
                context={
                    "name": locked.get_full_name(),
                    "old": mask_destination(CodeChannel.EMAIL, old),
                    "new": mask_destination(CodeChannel.EMAIL, new_email),
                    "to_old_address": to == old,
                },
                language=locked.language,
                person=locked,
            )
    return check
