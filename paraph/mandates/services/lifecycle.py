"""A mandate's life (docs/mandates.md): started or renewed, activated with
the password the person chooses, revoked, expired, reminded of its end;
one function per transition, each in one transaction with one audit event."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from paraph.accounts.models import NotificationChannel, Person
from paraph.adminbox.services import person_notification_channel_set
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.core.ratelimit import ratelimit_hit
from paraph.core.storage import files_removed_on_failure
from paraph.mandates.document import mandate_pdf
from paraph.mandates.models import IN_PROGRESS, Mandate, MandateStatus
from paraph.mandates.passwords import signing_password_validate
from paraph.mandates.selectors import mandate_current
from paraph.mandates.services.common import (
    REMINDER_DAYS,
    STARTS_PER_HOUR,
    MandateError,
    mandate_ended,
    mandate_locked,
    mandate_refreshed,
    one_year_after,
)
from paraph.notifications.services import email_send
from paraph.signing.appearance import BRUSSELS
from paraph.signing.exceptions import SigningError
from paraph.signing.models import PersonSigningKey
from paraph.signing.services import (
    signing_key_issue,
    signing_key_retire,
)

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
            mandate_ended(old, MandateStatus.SUPERSEDED, now)
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
            locked = mandate_locked(mandate)
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
                mandate_ended(old, MandateStatus.SUPERSEDED, now)
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
    return mandate_refreshed(mandate, locked)


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
        locked = mandate_locked(mandate)
        if locked.status not in (MandateStatus.ACTIVE, *IN_PROGRESS):
            raise MandateError(gettext("This mandate has already ended."), code="state")
        was = locked.status
        now = timezone.now()
        mandate_ended(locked, MandateStatus.REVOKED, now)
        _retire_key(locked, reason="mandate revoked by its signer", actor=person, context=context)
        audit_record(
            name="mandates.mandate.revoked",
            actor=person,
            subject=locked,
            data={"reference": locked.reference, "was": was},
            context=context,
        )
    return mandate_refreshed(mandate, locked)


def mandate_expire(*, mandate: Mandate, now: datetime | None = None) -> bool:
    """End ``mandate`` when its year is over: ``expired``, key retired.
    Returns False (and changes nothing) when it is not due."""
    moment = now or timezone.now()
    with transaction.atomic():
        locked = mandate_locked(mandate)
        if locked.status != MandateStatus.ACTIVE or (
            locked.valid_until is not None and locked.valid_until > moment
        ):
            return False
        mandate_ended(locked, MandateStatus.EXPIRED, moment)
        _retire_key(locked, reason="mandate expired", actor=None, context=SYSTEM)
        audit_record(
            name="mandates.mandate.expired",
            subject=locked,
            data={
                "reference": locked.reference,
                "valid_until": locked.valid_until.isoformat() if locked.valid_until else None,
            },
        )
    mandate_refreshed(mandate, locked)
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
    mandate_refreshed(mandate, locked)
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
