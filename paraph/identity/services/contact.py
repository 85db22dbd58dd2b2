"""Registration's phone (RG-7) and e-mail address (RG-3): each proven by a
code, refused when another person holds it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import (
    CodeChannel,
    CodePurpose,
    Person,
)
from paraph.accounts.services import (
    CodeCheck,
    CodeOutcome,
    CodeResend,
    code_issue,
    code_proves,
    code_resend,
    code_verify,
    phone_taken_error,
)
from paraph.audit.services import audit_record
from paraph.core.belgium import phone_mask
from paraph.core.context import Context
from paraph.identity.models import (
    RegistrationAttempt,
    RegistrationState,
)
from paraph.identity.services.common import attempt_expiry, registered_with_identity
from paraph.identity.services.matching import attempt_locked
from paraph.notifications.addresses import mask_destination

# --- Registration: phone (RG-7) and e-mail (RG-3) ---------------------------


def _taken_by_other(person: Person | None, attempt: RegistrationAttempt) -> bool:
    """Whether ``person`` (the owner of a phone or an address) is someone
    else than the one registering: registered, or known by another
    national number. An unregistered record without a national number
    (an adminbox opened from a contract e-mail) is completed instead."""
    if person is None or person.pk == attempt.person_id:
        return False
    if registered_with_identity(person):
        return True
    return bool(person.national_number) and person.national_number != attempt.national_number


def email_taken_error() -> ValidationError:
    return ValidationError(
        {
            "email": ValidationError(
                gettext(
                    "This e-mail address belongs to another person. An e-mail address is "
                    "strictly personal: it cannot be shared by two people. Give your own "
                    "address."
                ),
                code="taken",
            )
        }
    )


def registration_phone_code_send(
    *, attempt: RegistrationAttempt, phone: str, consent: bool, context: Context
) -> str:
    """Keep the mobile number (E.164) and the RG-7 consent, and send a
    verification code to the number; returns the attempt token for the
    session. Refuses, with a ``ValidationError`` on ``phone``, a number
    that belongs to another person; :class:`CodeRateLimited` when the
    number received too many codes; ``ValueError`` when the registration
    is not at this step."""
    owner = Person.objects.filter(phone=phone).first()
    if _taken_by_other(owner, attempt):
        raise phone_taken_error()
    with transaction.atomic():
        locked = attempt_locked(attempt, RegistrationState.PHONE, RegistrationState.EMAIL)
        if locked is None:
            raise ValueError("the registration is not at the phone step")
        locked.phone = phone
        locked.phone_consent = bool(consent)
        locked.phone_verified_at = None
        locked.state = RegistrationState.PHONE
        locked.expires_at = attempt_expiry()
        locked.save()
        _code, token = code_issue(
            purpose=CodePurpose.PHONE_VERIFY,
            channel=CodeChannel.SMS,
            destination=phone,
            person=None,
            language=locked.language or settings.LANGUAGE_CODE,
            context=context,
            audit_name="identity.registration.phone_code_sent",
        )
    attempt.phone, attempt.phone_consent = locked.phone, locked.phone_consent
    return token


def _registration_code_verify(
    locked: RegistrationAttempt,
    *,
    binding_token: str,
    purpose: str,
    channel: str,
    destination: str,
    value: str,
    context: Context,
) -> CodeCheck:
    """Verify a registration code. A right code sent to another destination
    than the attempt's counts as unknown; a wrong one is audited."""
    check = code_verify(
        binding_token=binding_token,
        purpose=purpose,
        value=value,
        context=context,
    )
    if check.outcome == CodeOutcome.OK:
        if code_proves(check, channel=channel, destination=destination):
            return check
        return CodeCheck(CodeOutcome.UNKNOWN, 0)
    if check.outcome == CodeOutcome.WRONG:
        audit_record(
            name="identity.registration.code_failed",
            subject=locked.person,
            data={"attempt": str(locked.pk), "channel": channel},
            context=context,
        )
    return check


def registration_phone_code_check(
    *, attempt: RegistrationAttempt, binding_token: str, value: str, context: Context
) -> CodeCheck:
    """Check the SMS code; the right one marks the number verified and
    moves the registration to the e-mail step."""
    with transaction.atomic():
        locked = attempt_locked(attempt, RegistrationState.PHONE)
        if locked is None:
            return CodeCheck(CodeOutcome.UNKNOWN, 0)
        check = _registration_code_verify(
            locked,
            binding_token=binding_token,
            purpose=CodePurpose.PHONE_VERIFY,
            channel=CodeChannel.SMS,
            destination=locked.phone,
            value=value,
            context=context,
        )
        if check.outcome == CodeOutcome.OK:
            locked.phone_verified_at = timezone.now()
            locked.state = RegistrationState.EMAIL
            locked.expires_at = attempt_expiry()
            locked.save()
            audit_record(
                name="identity.registration.phone_verified",
                subject=locked.person,
                data={"attempt": str(locked.pk), "phone": phone_mask(locked.phone)},
                context=context,
            )
    return check


def registration_phone_code_resend(
    *, attempt: RegistrationAttempt, binding_token: str, context: Context
) -> CodeResend:
    return code_resend(
        binding_token=binding_token,
        purpose=CodePurpose.PHONE_VERIFY,
        destination=attempt.phone,
        language=attempt.language or settings.LANGUAGE_CODE,
        context=context,
        audit_name="identity.registration.phone_code_sent",
    )


def registration_email_code_send(
    *, attempt: RegistrationAttempt, email: str, context: Context
) -> str:
    """Keep the e-mail address and send a verification code to it; returns
    the attempt token. Refuses, with a ``ValidationError`` on ``email``,
    an address that belongs to another person (RG-3)."""
    email = Person.objects.normalize_email(email.strip())
    owner = Person.objects.filter(email__ciexact=email).first()
    if _taken_by_other(owner, attempt):
        raise email_taken_error()
    with transaction.atomic():
        locked = attempt_locked(attempt, RegistrationState.EMAIL)
        if locked is None:
            raise ValueError("the registration is not at the e-mail step")
        locked.email = email
        locked.email_verified_at = None
        locked.expires_at = attempt_expiry()
        locked.save()
        _code, token = code_issue(
            purpose=CodePurpose.EMAIL_VERIFY,
            channel=CodeChannel.EMAIL,
            destination=email,
            person=None,
            language=locked.language or settings.LANGUAGE_CODE,
            context=context,
            audit_name="identity.registration.email_code_sent",
        )
    attempt.email = email
    return token


def registration_email_code_check(
    *, attempt: RegistrationAttempt, binding_token: str, value: str, context: Context
) -> CodeCheck:
    """Check the e-mail code; the right one marks the address verified
    (:func:`registration_complete` then creates the account)."""
    with transaction.atomic():
        locked = attempt_locked(attempt, RegistrationState.EMAIL)
        if locked is None or not locked.email:
            return CodeCheck(CodeOutcome.UNKNOWN, 0)
        check = _registration_code_verify(
            locked,
            binding_token=binding_token,
            purpose=CodePurpose.EMAIL_VERIFY,
            channel=CodeChannel.EMAIL,
            destination=locked.email,
            value=value,
            context=context,
        )
        if check.outcome == CodeOutcome.OK:
            locked.email_verified_at = timezone.now()
            locked.save()
            audit_record(
                name="identity.registration.email_verified",
                subject=locked.person,
                data={
                    "attempt": str(locked.pk),
                    "email": mask_destination(CodeChannel.EMAIL, locked.email),
                },
                context=context,
            )
    return check


def registration_email_code_resend(
    *, attempt: RegistrationAttempt, binding_token: str, context: Context
) -> CodeResend:
    return code_resend(
        binding_token=binding_token,
        purpose=CodePurpose.EMAIL_VERIFY,
        destination=attempt.email,
        language=attempt.language or settings.LANGUAGE_CODE,
        context=context,
        audit_name="identity.registration.email_code_sent",
    )
