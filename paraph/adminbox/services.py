"""Changes made from the adminbox: activating it from the e-mail of a
contract (ES-3, ES-4) and the person's preferences (ES-9).

Activation follows FLOWS.md, "Adminbox activation": the e-mail link proves
the address, an SMS code proves the mobile phone, and then the person is
logged in. Nothing changes before the right code is typed: a mail scanner
that follows the link, or a person who stops halfway, leaves the link
working and the account as it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import CodeChannel, CodePurpose, NotificationChannel, Person
from paraph.accounts.services import (
    CodeOutcome,
    CodeRateLimited,
    CodeResend,
    RateRule,
    ResendOutcome,
    code_issue,
    code_proves,
    code_resend,
    code_verify,
    login_failure_count,
    login_recorded,
    phone_taken_error,
)
from paraph.audit.services import audit_record
from paraph.contracts.models import AccessLink
from paraph.contracts.selectors import adminbox_is_active
from paraph.contracts.services import AccessLinkInvalid, access_link_use
from paraph.core.belgium import phone_mask
from paraph.core.context import SYSTEM, Context

# Codes asked for from one IP address and for one adminbox, and code checks
# from one IP address: the same sizes as the SMS log-in's.
ACTIVATION_PER_IP = RateRule("adminbox.activation.ip", 30, 15 * 60)
ACTIVATION_PER_PERSON = RateRule("adminbox.activation.person", 10, 60 * 60)
ACTIVATION_CHECKS_PER_IP = RateRule("adminbox.activation.check_ip", 60, 15 * 60)


class ActivationOutcome(StrEnum):
    CODE_SENT = "code_sent"
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    EXHAUSTED = "exhausted"
    UNKNOWN = "unknown"
    LOCKED = "locked"
    RATE_LIMITED = "rate_limited"
    ALREADY_ACTIVE = "already_active"
    LINK_USED = "link_used"
    # The right code, for a number that another adminbox already uses: most
    # likely the same person's (ES-12); told only once the code proved the
    # phone is in the visitor's hands.
    PHONE_OF_ANOTHER_ADMINBOX = "phone_of_another_adminbox"


@dataclass(frozen=True)
class ActivationStep:
    """The result of one activation step; ``binding_token`` (after a code
    was sent) goes into the session."""

    outcome: ActivationOutcome
    binding_token: str = ""
    tries_left: int = 0
    retry_after: int = 0
    locked_until: datetime | None = None


def adminbox_activation_code_send(
    *, person: Person, phone: str, context: Context
) -> ActivationStep:
    """Send the SMS code that proves ``phone`` (E.164) is the person's, to
    activate their adminbox; the step carries the attempt's token for the
    session.

    Answers ``already_active``, ``locked`` (the person's log-in lock-out)
    and ``rate_limited`` (this IP address, this adminbox or this number
    asked too often) without sending anything. A number that another
    adminbox uses gets its code like any other: whether a number is known
    is said only to whoever types the code it received (no enumeration),
    by :func:`adminbox_activate`."""
    if adminbox_is_active(person):
        return ActivationStep(ActivationOutcome.ALREADY_ACTIVE)
    for rule, key in (
        (ACTIVATION_PER_IP, context.ip or "unknown"),
        (ACTIVATION_PER_PERSON, str(person.pk)),
    ):
        limit = rule.hit(key)
        if not limit.allowed:
            return ActivationStep(ActivationOutcome.RATE_LIMITED, retry_after=limit.retry_after)
    if person.is_locked():
        return ActivationStep(ActivationOutcome.LOCKED, locked_until=person.locked_until)
    try:
        _code, token = code_issue(
            purpose=CodePurpose.PHONE_VERIFY,
            channel=CodeChannel.SMS,
            destination=phone,
            person=person,
            language=person.language,
            context=context,
            audit_name="adminbox.activation.code_sent",
        )
    except CodeRateLimited as exc:
        return ActivationStep(ActivationOutcome.RATE_LIMITED, retry_after=exc.retry_after)
    return ActivationStep(ActivationOutcome.CODE_SENT, binding_token=token)


def adminbox_activation_code_resend(
    *, person: Person, phone: str, binding_token: str, context: Context
) -> CodeResend:
    """A new code for the attempt in the session, to the same number."""
    limit = ACTIVATION_PER_PERSON.hit(str(person.pk))
    if not limit.allowed:
        return CodeResend(ResendOutcome.LIMITED, retry_after=limit.retry_after)
    if person.is_locked():
        return CodeResend(ResendOutcome.LOCKED, locked_until=person.locked_until)
    return code_resend(
        binding_token=binding_token,
        purpose=CodePurpose.PHONE_VERIFY,
        destination=phone,
        language=person.language,
        context=context,
        audit_name="adminbox.activation.code_sent",
    )


def _activation_code_refused(
    locked: Person, phone: str, binding_token: str, value: str, context: Context
) -> ActivationStep | None:
    """The code typed to activate, checked: the refusal, or None when it is
    the right code sent by SMS to ``phone`` for ``locked``. A wrong code
    counts toward the person's log-in lock-out."""
    check = code_verify(
        binding_token=binding_token,
        purpose=CodePurpose.PHONE_VERIFY,
        value=value,
        context=context,
    )
    if check.outcome == CodeOutcome.WRONG:
        locked_until = login_failure_count(
            target=locked, context=context, method="adminbox_activation", to=phone_mask(phone)
        )
        if locked_until is not None:
            return ActivationStep(ActivationOutcome.LOCKED, locked_until=locked_until)
        return ActivationStep(ActivationOutcome.WRONG, tries_left=check.tries_left)
    if check.outcome != CodeOutcome.OK:
        return ActivationStep(ActivationOutcome(check.outcome.value), tries_left=check.tries_left)
    if not code_proves(check, channel=CodeChannel.SMS, destination=phone, person=locked):
        return ActivationStep(ActivationOutcome.UNKNOWN)
    return None


def _activated(locked: Person, phone: str, consent_other_uses: bool) -> list[str]:
    """``locked`` with its phone and e-mail address proven now (and the
    RG-7 consent when given); the fields changed."""
    now = timezone.now()
    locked.phone = phone
    locked.phone_verified_at = now
    fields = ["phone", "phone_verified_at"]
    if locked.email_verified_at is None:
        locked.email_verified_at = now
        fields.append("email_verified_at")
    if consent_other_uses and not locked.consent_phone_other_uses:
        locked.consent_phone_other_uses = True
        locked.consent_phone_other_uses_at = now
        fields += ["consent_phone_other_uses", "consent_phone_other_uses_at"]
    return fields


def adminbox_activate(
    *,
    person: Person,
    phone: str,
    consent_other_uses: bool,
    binding_token: str,
    value: str,
    links: list[AccessLink],
    context: Context,
) -> ActivationStep:
    """Activate the adminbox when ``value`` is the SMS code sent to
    ``phone``: the e-mail address (the link came to it) and the phone are
    proven together, the RG-7 consent is kept, the ``links`` that brought
    the person here are used up (an activation link works once), and the
    log-in is recorded as the SMS log-in does (the view then opens the
    session).

    A wrong code costs one of the attempt's tries and counts toward the
    person's log-in lock-out (LG-2). Refuses a locked person even with the
    right code, an activation link used meanwhile (``link_used``) and a
    number another person took meanwhile (``ValidationError`` on
    ``phone``). The right code for a number that another adminbox uses
    activates nothing and answers ``phone_of_another_adminbox``: the phone
    is in the visitor's hands, so this is most likely their other
    adminbox, to log in to and merge this address into (ES-12)."""
    limit = ACTIVATION_CHECKS_PER_IP.hit(context.ip or "unknown")
    if not limit.allowed:
        return ActivationStep(ActivationOutcome.RATE_LIMITED, retry_after=limit.retry_after)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.is_locked():
            return ActivationStep(ActivationOutcome.LOCKED, locked_until=locked.locked_until)
        refused = _activation_code_refused(locked, phone, binding_token, value, context)
        if refused is not None:
            return refused
        owner = Person.objects.filter(phone=phone).exclude(pk=locked.pk).first()
        if owner is not None:
            audit_record(
                name="adminbox.activation.phone_of_another_adminbox",
                actor=locked,
                subject=locked,
                data={"phone": phone_mask(phone), "other_person": owner.pk},
                context=context,
            )
            return ActivationStep(ActivationOutcome.PHONE_OF_ANOTHER_ADMINBOX)
        try:
            for link in links:
                access_link_use(link=link, context=context)
        except AccessLinkInvalid:
            transaction.set_rollback(True)
            return ActivationStep(ActivationOutcome.LINK_USED)
        old_phone = locked.phone
        fields = _activated(locked, phone, consent_other_uses)
        try:
            with transaction.atomic():
                locked.save(update_fields=fields)
        except IntegrityError as exc:  # the number was taken meanwhile
            raise phone_taken_error() from exc
        audit_record(
            name="adminbox.activation.activated",
            actor=locked,
            subject=locked,
            data={
                "phone": phone_mask(phone),
                "phone_changed": bool(old_phone) and old_phone != phone,
                "consent_other_uses": locked.consent_phone_other_uses,
                "links": [link.purpose for link in links],
            },
            context=context,
        )
        login_recorded(
            person=locked,
            context=context,
            name="accounts.login.succeeded",
            method="adminbox_activation",
        )
    for name in fields:
        setattr(person, name, getattr(locked, name))
    return ActivationStep(ActivationOutcome.OK)


def person_notification_channel_set(
    *, person: Person, channel: str, context: Context = SYSTEM
) -> Person:
    """The person chooses how a new document is announced (ES-9): by e-mail,
    or by SMS with a short link. Choosing SMS is consent to messages other
    than codes on the phone (RG-7), and needs a verified phone; refuses
    otherwise with a ``ValidationError`` on ``notification_channel``."""
    if channel not in NotificationChannel.values:
        raise ValueError(f"unknown notification channel {channel!r}")
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if channel == NotificationChannel.SMS and (
            not locked.phone or locked.phone_verified_at is None
        ):
            raise ValidationError(
                {
                    "notification_channel": ValidationError(
                        gettext(
                            "To be told by SMS, your mobile phone must be verified first. "
                            "Choose e-mail, or contact the contact centre."
                        ),
                        code="no_phone",
                    )
                }
            )
        if locked.notification_channel == channel:
            return person
        old = locked.notification_channel
        locked.notification_channel = channel
        fields = ["notification_channel"]
        if channel == NotificationChannel.SMS and not locked.consent_phone_other_uses:
            locked.consent_phone_other_uses = True
            locked.consent_phone_other_uses_at = timezone.now()
            fields += ["consent_phone_other_uses", "consent_phone_other_uses_at"]
        locked.save(update_fields=fields)
        audit_record(
            name="adminbox.preferences.channel_changed",
            actor=locked,
            subject=locked,
            data={"old": old, "new": channel},
            context=context,
        )
    for name in fields:
        setattr(person, name, getattr(locked, name))
    return person
