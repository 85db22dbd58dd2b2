"""Every write of the mandates app (ES-7, ES-8, ES-10, ES-11): one function
per transition of the mandate's state machine (docs/mandates.md), each in
one transaction with one audit event; and signing contracts with the
password, one at a time or several at once."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from paraph.accounts.models import CodeChannel, CodePurpose, NotificationChannel, Person
from paraph.accounts.services import (
    CodeCheck,
    CodeOutcome,
    CodeResend,
    ResendOutcome,
    code_issue,
    code_resend,
    code_verify,
    code_would_match,
)
from paraph.adminbox.services import person_notification_channel_set
from paraph.audit.services import audit_record
from paraph.contracts.models import Contract
from paraph.contracts.services import (
    ContractError,
    contract_check_signable,
    contract_sign_record,
    contract_signing_input,
)
from paraph.core.context import SYSTEM, Context
from paraph.core.ratelimit import ratelimit_hit
from paraph.core.storage import files_removed_on_failure
from paraph.mandates.document import mandate_pdf
from paraph.mandates.models import IN_PROGRESS, Mandate, MandateSignMethod, MandateStatus
from paraph.mandates.passwords import signing_password_validate
from paraph.mandates.selectors import mandate_current, mandate_pdf_checked
from paraph.notifications.services import email_send
from paraph.signing.appearance import BRUSSELS
from paraph.signing.exceptions import KeyUnavailable, SigningError
from paraph.signing.models import PersonSigningKey
from paraph.signing.services import (
    EidSigningRequest,
    eid_signature_complete,
    eid_signature_prepare,
    eid_signature_record,
    password_signature_complete,
    password_signature_record,
    seal_apply,
    signing_key_issue,
    signing_key_retire,
)

# Reminders before a mandate ends, in days (ES-8), most distant first.
REMINDER_DAYS = (30, 7)
# Starting a mandate writes a PDF: a person may start this many an hour.
STARTS_PER_HOUR = 20
# A batch signs at most this many contracts (each unlocks the key once).
BATCH_MAX = 25


class MandateError(Exception):
    """A refused request, with a message for the person; ``code`` is stable:
    ``state`` (not possible in the mandate's state), ``no_destination`` (no
    verified address or phone for that channel), ``rate_limited``,
    ``unavailable`` (Paraph's seal or time-stamp did not answer: try
    again), ``no_mandate`` (password signing needs an active mandate)."""

    code = "mandate_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


def one_year_after(moment: datetime) -> datetime:
    """The same moment a year later (28 February for a 29 February)."""
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


def _lock(mandate: Mandate) -> Mandate:
    return Mandate.objects.select_for_update().get(pk=mandate.pk)


def _refresh(mandate: Mandate, locked: Mandate) -> Mandate:
    """Copy the locked row's values onto the caller's object."""
    for field in Mandate._meta.concrete_fields:
        setattr(mandate, field.attname, getattr(locked, field.attname))
    return mandate


def _end(mandate: Mandate, status: MandateStatus, now: datetime) -> None:
    mandate.status = status
    mandate.ended_at = now
    mandate.save(update_fields=["status", "ended_at"])


# --- Starting (and renewing) ----------------------------------------------------


def mandate_start(*, person: Person, context: Context = SYSTEM) -> Mandate:
    """A new mandate for ``person``, ``pending`` their signature, its PDF
    written in their language. A mandate they started before and did not
    finish is replaced (superseded). An active mandate stays active until
    the new one is activated (then it is superseded: see
    :func:`mandate_activate`)."""
    allowed = ratelimit_hit(
        scope="mandates.start", key=str(person.pk), limit=STARTS_PER_HOUR, window_seconds=3600
    )
    if not allowed.allowed:
        raise MandateError(
            gettext("You started too many mandates in a short time. Try again later."),
            code="rate_limited",
        )
    now = timezone.now()
    with files_removed_on_failure(default_storage) as written, transaction.atomic():
        # One start at a time per person: the in-progress mandate is unique.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        unfinished = list(
            Mandate.objects.select_for_update().filter(person=person, status__in=IN_PROGRESS)
        )
        current = mandate_current(person)
        for old in unfinished:
            _end(old, MandateStatus.SUPERSEDED, now)
            audit_record(
                name="mandates.mandate.superseded",
                actor=person,
                subject=old,
                data={"reference": old.reference, "was": "unfinished", "by": "a new start"},
                context=context,
            )
        mandate = Mandate.objects.create(
            person=person,
            reference=f"TMP-{uuid.uuid4().hex[:16]}",
            status=MandateStatus.PENDING,
            language=person.language,
            renews=current,
            document_sha256="",
            created_at=now,
        )
        mandate.reference = f"M-{now.astimezone(BRUSSELS).year}-{mandate.pk:06d}"
        document = mandate_pdf(
            person=person, reference=mandate.reference, created_at=now, language=person.language
        )
        mandate.document_pdf.save("mandate.pdf", ContentFile(document), save=False)
        written.append(mandate.document_pdf.name)
        mandate.document_sha256 = hashlib.sha256(document).hexdigest()
        mandate.save(update_fields=["reference", "document_pdf", "document_sha256"])
        audit_record(
            name="mandates.mandate.started",
            actor=person,
            subject=mandate,
            data={
                "reference": mandate.reference,
                "renews": current.reference if current else None,
                "replaced": [old.reference for old in unfinished],
                "sha256": mandate.document_sha256,
            },
            context=context,
        )
    return mandate


def mandate_renew(*, person: Person, context: Context = SYSTEM) -> Mandate:
    """ES-11, at any time: a new mandate to sign, for a new password and/or
    notification channel. Once it is activated, it starts a new one-year
    period, the current mandate is superseded and its key retired
    (:func:`mandate_activate`). Refuses (``state``) a person without an
    active mandate: they start one instead."""
    if mandate_current(person) is None:
        raise MandateError(
            gettext("You have no active mandate to renew. Sign a new mandate instead."),
            code="state",
        )
    return mandate_start(person=person, context=context)


# --- Signing it with a one-time code ----------------------------------------------


def _destination(person: Person, channel: str) -> str:
    """The person's verified address or phone for ``channel``; refuses one
    not verified (a code never goes anywhere else)."""
    if channel == CodeChannel.EMAIL and person.email and person.email_verified_at:
        return person.email
    if channel == CodeChannel.SMS and person.phone and person.phone_verified_at:
        return person.phone
    if channel not in CodeChannel.values:
        raise ValueError(f"unknown code channel {channel!r}")
    raise MandateError(
        gettext("Your e-mail address is not verified: choose the SMS instead.")
        if channel == CodeChannel.EMAIL
        else gettext("Your mobile phone is not verified: choose the e-mail instead."),
        code="no_destination",
    )


def mandate_code_channels(person: Person) -> list[str]:
    """The channels a code to sign a mandate can use for ``person``."""
    channels = []
    for channel in (CodeChannel.SMS, CodeChannel.EMAIL):
        try:
            _destination(person, channel)
        except MandateError:
            continue
        channels.append(str(channel))
    return channels


def _pending(mandate: Mandate) -> None:
    if mandate.status != MandateStatus.PENDING:
        raise MandateError(
            gettext("This mandate is no longer waiting for a signature. Start again."),
            code="state",
        )


def mandate_code_send(*, mandate: Mandate, channel: str, context: Context = SYSTEM) -> str:
    """Send a one-time code to sign ``mandate`` by ``channel`` (``sms`` or
    ``email``, the person's choice), only to their verified phone or
    address. Returns the attempt's binding token: keep it in the session
    (the code works only there). Raises :class:`MandateError` and
    ``CodeRateLimited`` (too many codes to that destination)."""
    _pending(mandate)
    person = mandate.person
    destination = _destination(person, channel)
    _code, token = code_issue(
        purpose=CodePurpose.MANDATE_SIGN,
        channel=channel,
        destination=destination,
        person=person,
        language=person.language,
        context=context,
        audit_name="mandates.mandate.code_sent",
    )
    return token


def mandate_code_resend(
    *,
    mandate: Mandate,
    binding_token: str,
    channel: str,
    context: Context = SYSTEM,
) -> CodeResend:
    """A new code for the same attempt (cool-down and limits of
    ``code_resend``); the previous code stops working."""
    if mandate.status != MandateStatus.PENDING:
        return CodeResend(ResendOutcome.USED)
    try:
        destination = _destination(mandate.person, channel)
    except MandateError:
        return CodeResend(ResendOutcome.UNKNOWN)
    return code_resend(
        binding_token=binding_token,
        purpose=CodePurpose.MANDATE_SIGN,
        destination=destination,
        language=mandate.person.language,
        context=context,
        audit_name="mandates.mandate.code_sent",
    )


def _signed(
    locked: Mandate,
    *,
    method: str,
    pdf: bytes,
    at: datetime,
    evidence: dict[str, Any],
    signed_key: str,
    context: Context,
    written: list[str],
) -> None:
    """Record ``locked`` as signed by ``method`` with its signed (or sealed)
    ``pdf`` (stored, its name appended to ``written``: removed if the
    transaction fails) and the ``evidence``, completed with the address,
    the browser and both hashes (the signed one under ``signed_key``); one
    audit event."""
    locked.status = MandateStatus.SIGNED
    locked.signed_with = method
    locked.signed_pdf.save("signed.pdf", ContentFile(pdf), save=False)
    written.append(locked.signed_pdf.name)
    locked.signed_sha256 = hashlib.sha256(pdf).hexdigest()
    locked.signed_at = at
    locked.evidence = {
        "method": str(method),
        **evidence,
        "ip": context.ip,
        "user_agent": context.user_agent,
        "document_sha256": locked.document_sha256,
        signed_key: locked.signed_sha256,
    }
    locked.save(
        update_fields=[
            "status",
            "signed_with",
            "signed_pdf",
            "signed_sha256",
            "signed_at",
            "evidence",
        ]
    )
    audit_record(
        name="mandates.mandate.signed",
        actor=locked.person,
        subject=locked,
        data={"reference": locked.reference, **locked.evidence},
        context=context,
    )


def mandate_sign_with_code(
    *, mandate: Mandate, binding_token: str, value: str, context: Context = SYSTEM
) -> CodeCheck:
    """Check the code the person typed; when it is right, the mandate PDF is
    sealed by Paraph, the verification recorded as evidence (channel,
    masked destination, times, IP address, browser) and the mandate is
    ``signed``. Returns the code check: only ``ok`` changed the mandate. A
    code of another session, another person or another purpose is
    ``unknown``. Raises :class:`MandateError` (``state``, ``unavailable``:
    nothing changed, the code still works).

    The seal (a signature with a time-stamp: an outside service) is made
    before the transaction that uses the code and signs the mandate, never
    inside it, when the code looks right; the transaction then decides, as
    for any code (a code used meanwhile, or wrong after all, leaves the
    seal unused)."""
    _pending(mandate)
    sealed: bytes | None = None
    if code_would_match(
        binding_token=binding_token,
        purpose=CodePurpose.MANDATE_SIGN,
        value=value,
        person_id=mandate.person_id,
    ):
        try:
            sealed = seal_apply(
                document=mandate_pdf_checked(mandate, signed=False),
                document_ref=f"mandate:{mandate.reference}",
                language=mandate.language,
                context=context,
            )
        except SigningError as exc:
            raise MandateError(
                gettext(
                    "Paraph could not seal your mandate just now. Your code still works: "
                    "try again in a minute."
                ),
                code="unavailable",
            ) from exc
    with files_removed_on_failure(default_storage) as written, transaction.atomic():
        locked = _lock(mandate)
        _pending(locked)
        check = code_verify(
            binding_token=binding_token,
            purpose=CodePurpose.MANDATE_SIGN,
            value=value,
            context=context,
        )
        code = check.code
        if check.outcome == CodeOutcome.OK and (code is None or code.person_id != locked.person_id):
            check = CodeCheck(CodeOutcome.UNKNOWN, 0)
        if check.outcome != CodeOutcome.OK or code is None:
            audit_record(
                name="mandates.mandate.code_failed",
                actor=locked.person,
                subject=locked,
                data={"outcome": str(check.outcome), "tries_left": check.tries_left},
                context=context,
            )
            return check
        if sealed is None:
            # Right now, not a moment ago (a new code sent in between): the
            # code is left unused (the transaction is undone) and the person
            # tries again, which seals first.
            raise MandateError(
                gettext(
                    "Paraph could not seal your mandate just now. Your code still works: "
                    "try again in a minute."
                ),
                code="unavailable",
            )
        now = timezone.now()
        method = (
            MandateSignMethod.SMS_CODE
            if code.channel == CodeChannel.SMS
            else MandateSignMethod.EMAIL_CODE
        )
        _signed(
            locked,
            method=method,
            pdf=sealed,
            at=now,
            evidence={
                "channel": code.channel,
                "to": code.destination_masked,
                "code_sent_at": code.last_sent_at.isoformat(),
                "verified_at": now.isoformat(),
            },
            signed_key="sealed_sha256",
            context=context,
            written=written,
        )
    _refresh(mandate, locked)
    return check


# --- Signing it with the eID card ---------------------------------------------------


def _eid_ref(mandate: Mandate) -> str:
    return f"mandate:{mandate.reference}"


def mandate_eid_prepare(
    *, mandate: Mandate, certificate: bytes, context: Context = SYSTEM
) -> EidSigningRequest:
    """Step 1 of signing ``mandate`` with the eID card: the card's signing
    certificate checked for the person (``CertificateRejected``: not
    theirs, expired, revoked, no signing certificate...) and the hash the
    card must sign. Refuses (``state``) a mandate not pending."""
    _pending(mandate)
    return eid_signature_prepare(
        person=mandate.person,
        document=mandate_pdf_checked(mandate, signed=False),
        document_ref=_eid_ref(mandate),
        certificate=certificate,
        context=context,
    )


def mandate_sign_with_eid(
    *,
    mandate: Mandate,
    prepared_id: str,
    signature_value: bytes,
    evidence: dict[str, Any] | None = None,
    context: Context = SYSTEM,
) -> Mandate:
    """Step 2: the card's signature put in the mandate PDF; the mandate is
    ``signed`` (method ``eid``), ``evidence`` (the certificate checked)
    kept with the IP address and browser. The signed PDF is made outside
    any transaction (the time-stamp authority and OCSP answer then); the
    mandate signed, the prepared signature used up and the audit events
    happen in one transaction, or none. Raises what
    ``eid_signature_complete`` raises (nothing changes then) and
    :class:`MandateError` ``state``."""
    _pending(mandate)
    signed = eid_signature_complete(
        person=mandate.person,
        prepared_id=prepared_id,
        document_ref=_eid_ref(mandate),
        signature_value=signature_value,
    )
    with files_removed_on_failure(default_storage) as written, transaction.atomic():
        locked = _lock(mandate)
        _pending(locked)
        eid_signature_record(
            person=locked.person,
            prepared_id=prepared_id,
            document_ref=_eid_ref(locked),
            signed=signed,
            context=context,
        )
        now = timezone.now()
        _signed(
            locked,
            method=MandateSignMethod.EID,
            pdf=signed,
            at=now,
            evidence={
                **(evidence or {}),
                "prepared_id": prepared_id,
                "signed_at": now.isoformat(),
            },
            signed_key="signed_sha256",
            context=context,
            written=written,
        )
    return _refresh(mandate, locked)


# --- Activating it with the password -----------------------------------------------


def mandate_password_check(
    *, person: Person, password: str, password_confirm: str, notification_channel: str
) -> None:
    """Raise a ``ValidationError`` naming each field that is wrong: the
    password (at least 12 characters, not common, not built on the
    person's identity or on Paraph), its confirmation, the channel (SMS
    needs a verified phone)."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        signing_password_validate(password, person=person)
    except ValidationError as exc:
        errors["password"] = exc.error_list
    if password != password_confirm:
        errors["password_confirm"] = [
            ValidationError(
                gettext("The two passwords are not the same. Type the same password twice."),
                code="password_mismatch",
            )
        ]
    if notification_channel not in NotificationChannel.values:
        errors["notification_channel"] = [
            ValidationError(gettext("Choose how to be told."), code="invalid_choice")
        ]
    elif notification_channel == NotificationChannel.SMS and not (
        person.phone and person.phone_verified_at
    ):
        errors["notification_channel"] = [
            ValidationError(
                gettext("Your mobile phone is not verified: choose the e-mail."),
                code="no_phone",
            )
        ]
    if errors:
        raise ValidationError(errors)


def mandate_activate(
    *,
    mandate: Mandate,
    password: str,
    password_confirm: str,
    notification_channel: str,
    context: Context = SYSTEM,
) -> Mandate:
    """The person confirms the signed mandate with the password they chose
    (typed twice) and picks how to be told of new contracts (ES-9, ES-10):
    their one-year key and certificate are issued under the password, the
    mandate is ``active`` for one year from now, and a mandate that was
    active before is superseded, its key retired (ES-11). Raises a
    ``ValidationError`` per field (see :func:`mandate_password_check`) and
    :class:`MandateError` (``state``, ``unavailable``)."""
    person = mandate.person
    mandate_password_check(
        person=person,
        password=password,
        password_confirm=password_confirm,
        notification_channel=notification_channel,
    )
    try:
        with transaction.atomic():
            locked = _lock(mandate)
            if locked.status != MandateStatus.SIGNED:
                raise MandateError(
                    gettext("This mandate cannot be confirmed any more. Start again."),
                    code="state",
                )
            now = timezone.now()
            valid_until = one_year_after(now)
            previous = list(
                Mandate.objects.select_for_update().filter(
                    person_id=locked.person_id, status=MandateStatus.ACTIVE
                )
            )
            # Issuing the new key retires the old one (superseded) in the same
            # transaction, and publishes the CRL that says so.
            key = signing_key_issue(
                person=person,
                password=password,
                mandate_ref=locked.reference,
                valid_until=valid_until,
                context=context,
            )
            for old in previous:
                _end(old, MandateStatus.SUPERSEDED, now)
                audit_record(
                    name="mandates.mandate.superseded",
                    actor=person,
                    subject=old,
                    data={"reference": old.reference, "was": "active", "by": locked.reference},
                    context=context,
                )
            old_channel = person.notification_channel
            # ES-9, with the adminbox's rule: SMS is consent to notifications
            # on the phone (RG-7).
            person_notification_channel_set(
                person=person, channel=notification_channel, context=context
            )
            locked.status = MandateStatus.ACTIVE
            locked.valid_from = now
            locked.valid_until = valid_until
            locked.activated_at = now
            locked.notification_channel = notification_channel
            locked.signing_key = key
            locked.save(
                update_fields=[
                    "status",
                    "valid_from",
                    "valid_until",
                    "activated_at",
                    "notification_channel",
                    "signing_key",
                ]
            )
            audit_record(
                name="mandates.mandate.activated",
                actor=person,
                subject=locked,
                data={
                    "reference": locked.reference,
                    "valid_until": valid_until.isoformat(),
                    "key_serial": key.serial_number,
                    "superseded": [old.reference for old in previous],
                    "notification_channel": {"old": old_channel, "new": notification_channel},
                },
                context=context,
            )
    except SigningError as exc:
        raise MandateError(
            gettext("Paraph could not issue your signing key just now. Try again in a minute."),
            code="unavailable",
        ) from exc
    return _refresh(mandate, locked)


# --- Ending it ------------------------------------------------------------------------


def _retire_key(mandate: Mandate, *, reason: str, actor: Person | None, context: Context) -> None:
    key = (
        PersonSigningKey.objects.filter(pk=mandate.signing_key_id).first()
        if mandate.signing_key_id
        else None
    )
    if key is not None and key.retired_at is None:
        signing_key_retire(key=key, reason=reason, actor=actor, context=context)


def mandate_revoke(*, mandate: Mandate, person: Person, context: Context = SYSTEM) -> Mandate:
    """The person ends their active mandate: its key is retired at once
    (never signs again; what it signed stays valid). Also ends a mandate still
    being signed. Refuses (``state``) one that already ended, and another
    person's (``LookupError``: show a 404)."""
    if mandate.person_id != person.pk:
        raise LookupError("not this person's mandate")
    with transaction.atomic():
        locked = _lock(mandate)
        if locked.status not in (MandateStatus.ACTIVE, *IN_PROGRESS):
            raise MandateError(gettext("This mandate has already ended."), code="state")
        was = locked.status
        now = timezone.now()
        _end(locked, MandateStatus.REVOKED, now)
        _retire_key(locked, reason="mandate revoked by its signer", actor=person, context=context)
        audit_record(
            name="mandates.mandate.revoked",
            actor=person,
            subject=locked,
            data={"reference": locked.reference, "was": was},
            context=context,
        )
    return _refresh(mandate, locked)


def mandate_expire(*, mandate: Mandate, now: datetime | None = None) -> bool:
    """End ``mandate`` when its year is over: ``expired``, key retired.
    Returns False (and changes nothing) when it is not due."""
    moment = now or timezone.now()
    with transaction.atomic():
        locked = _lock(mandate)
        if locked.status != MandateStatus.ACTIVE or (
            locked.valid_until is not None and locked.valid_until > moment
        ):
            return False
        _end(locked, MandateStatus.EXPIRED, moment)
        _retire_key(locked, reason="mandate expired", actor=None, context=SYSTEM)
        audit_record(
            name="mandates.mandate.expired",
            subject=locked,
            data={
                "reference": locked.reference,
                "valid_until": locked.valid_until.isoformat() if locked.valid_until else None,
            },
        )
    _refresh(mandate, locked)
    return True


def mandates_expire_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Expire every active mandate whose year is over (periodic: the task
    and ``paraph mandates-housekeeping``). Returns how many."""
    moment = now or timezone.now()
    due = Mandate.objects.filter(status=MandateStatus.ACTIVE, valid_until__lte=moment).order_by(
        "valid_until", "pk"
    )[:limit]
    return sum(1 for mandate in due if mandate_expire(mandate=mandate, now=moment))


def _reminder_due(mandate: Mandate, moment: datetime) -> int | None:
    """The reminder (30 or 7 days) that ``mandate`` is due now, if any."""
    assert mandate.valid_until is not None
    left = mandate.valid_until - moment
    if left <= timedelta(0):
        return None
    if left <= timedelta(days=7):
        return 7 if mandate.reminder_7_sent_at is None else None
    if left <= timedelta(days=30):
        return 30 if mandate.reminder_30_sent_at is None else None
    return None


def mandate_reminder_send(*, mandate: Mandate, now: datetime | None = None) -> int | None:
    """Send the reminder ``mandate`` is due (30 or 7 days before its end),
    once: an e-mail in the person's language with a link to renew. Returns
    the days of the reminder sent, or None."""
    moment = now or timezone.now()
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().select_related("person").get(pk=mandate.pk)
        if locked.status != MandateStatus.ACTIVE:
            return None
        days = _reminder_due(locked, moment)
        if days is None:
            return None
        field = "reminder_7_sent_at" if days == 7 else "reminder_30_sent_at"
        setattr(locked, field, moment)
        locked.save(update_fields=[field])
        person = locked.person
        assert locked.valid_until is not None
        with translation.override(person.language):
            end = formats.date_format(locked.valid_until.astimezone(BRUSSELS), "DATE_FORMAT")
        email_send(
            to=person.email,
            template="mandate_reminder",
            context={
                "name": person.get_full_name(),
                "reference": locked.reference,
                "end": end,
                "days": days,
                "renew_url": f"{settings.BASE_URL}{reverse('mandates:renew')}",
                "eid_signing": bool(person.national_number),
            },
            language=person.language,
            person=person,
        )
        audit_record(
            name="mandates.mandate.reminder_sent",
            subject=locked,
            data={"reference": locked.reference, "days": days},
        )
    _refresh(mandate, locked)
    return days


def mandate_reminders_send(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Send every reminder that is due (30 and 7 days before the end, each
    once). Returns how many were sent."""
    moment = now or timezone.now()
    due = Mandate.objects.filter(
        status=MandateStatus.ACTIVE,
        valid_until__gt=moment,
        valid_until__lte=moment + timedelta(days=max(REMINDER_DAYS)),
    ).order_by("valid_until", "pk")[:limit]
    return sum(1 for mandate in due if mandate_reminder_send(mandate=mandate, now=moment))


def mandates_housekeeping(*, now: datetime | None = None) -> tuple[int, int]:
    """Expire what is due, then send the reminders: (expired, reminded)."""
    return mandates_expire_due(now=now), mandate_reminders_send(now=now)


# --- Signing contracts with the password ----------------------------------------------


def contract_sign_with_password(
    *,
    contract: Contract,
    person: Person,
    password: str,
    context: Context = SYSTEM,
    batch: bool = False,
) -> Contract:
    """Sign ``contract`` with ``person``'s password under their active
    mandate (ES-10): checked signable, signed by the signing engine in the
    field the seal prepared, recorded with the mandate's reference. Raises
    :class:`MandateError` ``no_mandate`` (start one first),
    ``KeyUnavailable`` (``wrong_password``: counted; ``locked`` with
    ``locked_until``; ``expired``), ``ContractNotSignable``
    (``already_signed`` when two signatures race, ``deadline_passed``,
    ``revoked``...), ``ContractError`` and ``SigningError``."""
    mandate = mandate_current(person)
    if mandate is None:
        raise MandateError(
            gettext("Signing with a password needs an active mandate: sign one first."),
            code="no_mandate",
        )
    contract_check_signable(contract=contract, person=person)
    signing_input = contract_signing_input(contract=contract)
    done = password_signature_complete(
        person=person,
        document=signing_input.document,
        password=password,
        field_name=signing_input.field_name,
        placement=signing_input.placement,
        for_company=signing_input.for_company,
        context=context,
    )
    # the contract signed and the signature in the audit log, or neither
    return contract_sign_record(
        contract=contract,
        person=person,
        signed_pdf=done.signed,
        also=lambda: password_signature_record(
            person=person, done=done, document_ref=signing_input.document_ref, context=context
        ),
        method="password",
        mandate_ref=mandate.reference,
        evidence={
            "mandate": mandate.reference,
            "mandate_valid_until": mandate.valid_until.isoformat() if mandate.valid_until else None,
            "unlocked_with": "password",
            "batch": batch,
        },
        context=context,
    )


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one contract of a batch: ``signed``, or the reason
    it was not (``code`` and ``message`` for the person)."""

    contract: Contract
    signed: bool
    code: str = ""
    message: str = ""


def contracts_sign_with_password(
    *,
    contracts: list[Contract],
    person: Person,
    password: str,
    context: Context = SYSTEM,
) -> list[BatchOutcome]:
    """Sign several contracts with one password entry, each with a
    signature of its own. A wrong password (or a locked or missing key)
    raises at the first contract and nothing is signed; a contract that
    cannot be signed (already signed, deadline passed...) is reported and
    the others go on."""
    if len(contracts) > BATCH_MAX:
        raise MandateError(
            gettext("Sign at most %(count)d contracts at once.") % {"count": BATCH_MAX},
            code="too_many",
        )
    outcomes: list[BatchOutcome] = []
    for index, contract in enumerate(contracts):
        try:
            signed = contract_sign_with_password(
                contract=contract, person=person, password=password, context=context, batch=True
            )
        except KeyUnavailable as exc:
            if not any(o.signed for o in outcomes):
                raise
            for rest in contracts[index:]:
                outcomes.append(BatchOutcome(rest, False, exc.code, str(exc)))
            break
        except MandateError as exc:
            if not outcomes:
                raise
            outcomes.append(BatchOutcome(contract, False, exc.code, str(exc)))
        except ContractError as exc:
            outcomes.append(BatchOutcome(contract, False, exc.code, str(exc)))
        except SigningError as exc:
            outcomes.append(
                BatchOutcome(
                    contract,
                    False,
                    exc.code,
                    gettext("Paraph could not sign this contract just now. Try it again later."),
                )
            )
        else:
            outcomes.append(BatchOutcome(signed, True))
    return outcomes
