"""Signatures made with the password under a mandate: the key unlocked by
the password (wrong passwords counted, the key locked out; the contact
centre lifts a lock), the document signed, then recorded."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.core.ratelimit import ratelimit_hit, ratelimit_reset
from paraph.signing import conf, engine, passwordkeys
from paraph.signing.appearance import BRUSSELS, SignedWith, appearance
from paraph.signing.exceptions import KeyUnavailable
from paraph.signing.models import (
    PersonSigningKey,
)
from paraph.signing.providers.keys import SoftwareKey
from paraph.signing.services.common import (
    PASSWORD_FAILURES_PER_DAY,
    PASSWORD_LOCKOUT,
    PASSWORD_MAX_FAILURES,
    PASSWORD_RATE_SCOPE,
    signature_for_company,
    visible_signature,
)


def _locked(locked_until: datetime, person: Person) -> KeyUnavailable:
    """The refusal a locked person reads: until when, and what still works
    (the eID card only for a person whose national number can match it)."""
    local = timezone.localtime(locked_until, BRUSSELS)
    if person.national_number:
        message = gettext(
            "Password signing is locked until %(date)s, %(time)s (Brussels time) after too "
            "many wrong passwords. You can still sign with your eID card, or call the "
            "contact centre to unlock it."
        )
    else:
        message = gettext(
            "Password signing is locked until %(date)s, %(time)s (Brussels time) after too "
            "many wrong passwords. Call the contact centre to unlock it."
        )
    exc = KeyUnavailable(
        message
        % {
            "date": formats.date_format(local, "DATE_FORMAT"),
            "time": formats.time_format(local, "H:i"),
        },
        code="locked",
    )
    exc.locked_until = locked_until
    return exc


def _count_wrong_password(
    *, person: Person, key: PersonSigningKey, context: Context
) -> datetime | None:
    """Count a wrong password on the key and in the person's daily rate
    limit, in its own transaction (the count survives the error); returns
    the end of the lock it causes, if any."""
    now = timezone.now()
    daily = ratelimit_hit(
        scope=PASSWORD_RATE_SCOPE,
        key=str(person.pk),
        limit=PASSWORD_FAILURES_PER_DAY,
        window_seconds=24 * 3600,
    )
    with transaction.atomic():
        counted = PersonSigningKey.objects.select_for_update().get(pk=key.pk)
        counted.failed_attempts += 1
        ends = []
        if counted.failed_attempts >= PASSWORD_MAX_FAILURES:
            ends.append(now + PASSWORD_LOCKOUT)
        if not daily.allowed:
            ends.append(now + timedelta(seconds=daily.retry_after))
        locked_until = max(ends) if ends else None
        if locked_until is not None:
            counted.locked_until = locked_until
        counted.save(update_fields=["failed_attempts", "locked_until"])
        audit_record(
            name="signing.key.unlock_failed",
            actor=person,
            subject=counted,
            data={
                "failed_attempts": counted.failed_attempts,
                "locked_until": locked_until.isoformat() if locked_until else None,
            },
            context=context,
        )
    return locked_until


def _unlock(
    *, person: Person, password: str, context: Context
) -> tuple[PersonSigningKey, SoftwareKey]:
    key = PersonSigningKey.objects.filter(person=person, retired_at__isnull=True).first()
    if key is None:
        raise KeyUnavailable(
            "there is no active signing key: sign a mandate first", code="no_active_key"
        )
    if timezone.now() >= key.not_after:
        raise KeyUnavailable("the mandate and its signing key have expired", code="expired")
    if key.locked_until is not None and key.locked_until > timezone.now():
        raise _locked(key.locked_until, person)  # refused before any (costly) derivation
    ca = conf.signing_ca_key()
    try:
        unlocked = passwordkeys.decrypt_private_key(
            bytes(key.encrypted_private_key),
            key.kdf,
            password,
            certificate=bytes(key.certificate),
            chain=(ca.certificate, *ca.chain),
        )
    except KeyUnavailable as exc:
        if exc.code == "wrong_password":
            locked_until = _count_wrong_password(person=person, key=key, context=context)
            if locked_until is not None:
                raise _locked(locked_until, person) from exc
        raise
    return key, unlocked


def person_signing_key_unlock(
    *, key: PersonSigningKey, actor: Person, reason: str, context: Context = SYSTEM
) -> bool:
    """Lift a password-signing lock (the contact centre, once it has checked
    who is calling): the key's count of wrong passwords and the person's
    daily limit start again. ``reason`` goes in the audit log. Returns
    False, and records nothing, when there was nothing to lift."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required to unlock password signing")
    with transaction.atomic():
        locked = PersonSigningKey.objects.select_for_update().get(pk=key.pk)
        if locked.retired_at is not None or (
            locked.failed_attempts == 0 and locked.locked_until is None
        ):
            return False
        old = {
            "failed_attempts": locked.failed_attempts,
            "locked_until": locked.locked_until.isoformat() if locked.locked_until else None,
        }
        locked.failed_attempts = 0
        locked.locked_until = None
        locked.save(update_fields=["failed_attempts", "locked_until"])
        ratelimit_reset(scope=PASSWORD_RATE_SCOPE, key=str(locked.person_id))
        audit_record(
            name="signing.key.unlocked",
            actor=actor,
            subject=locked,
            data={"reason": reason, "old": old},
            context=context,
        )
    key.failed_attempts, key.locked_until = 0, None
    return True


def password_signature_make(
    *,
    person: Person,
    document: bytes,
    document_ref: str,
    password: str,
    field_name: str | None = None,
    placement: engine.Placement | None = None,
    options: engine.SignOptions | None = None,
    context: Context = SYSTEM,
) -> bytes:
    """``document`` signed with ``person``'s password key and the signature
    in the audit log: for a caller with nothing else to record (a contract
    records its signature with :func:`password_signature_complete` and
    :func:`password_signature_record`, in its own transaction)."""
    done = password_signature_complete(
        person=person,
        document=document,
        password=password,
        field_name=field_name,
        placement=placement,
        options=options,
        context=context,
    )
    with transaction.atomic():
        password_signature_record(
            person=person, done=done, document_ref=document_ref, context=context
        )
    return done.signed


@dataclass(frozen=True)
class PasswordSigned:
    """A document signed with a person's password key (not recorded yet)."""

    signed: bytes
    key_id: int


def password_signature_complete(
    *,
    person: Person,
    document: bytes,
    password: str,
    field_name: str | None = None,
    placement: engine.Placement | None = None,
    options: engine.SignOptions | None = None,
    context: Context = SYSTEM,
    for_company: tuple[str, str] | None = None,
) -> PasswordSigned:
    """``document`` signed (PAdES) with ``person``'s own key, unlocked with
    ``password``, visibly (name, "password under mandate no. X", the time,
    in the person's language) in the empty field ``field_name`` or at
    ``placement``; the time-stamp authority is called outside any
    transaction. A wrong password raises :class:`KeyUnavailable`
    (``wrong_password``) and counts toward the lock-out; the right one
    resets the count."""
    key, unlocked = _unlock(person=person, password=password, context=context)
    shown = appearance(
        signer_name=person.get_full_name() or engine.common_name(bytes(key.certificate)),
        signed_with=SignedWith.PASSWORD,
        when=timezone.now(),
        language=person.language,
        placement=placement,
        mandate_ref=key.mandate_ref,
        for_company=for_company,
    )
    try:
        signed = engine.sign_pdf(
            document,
            key=unlocked,
            config=conf.engine_config(),
            options=signature_for_company(
                visible_signature(options, shown, field_name), for_company, person.language
            ),
        )
    finally:
        # Python cannot scrub memory; dropping the only reference is what is possible
        del unlocked
    PersonSigningKey.objects.filter(pk=key.pk).update(failed_attempts=0, locked_until=None)
    ratelimit_reset(scope=PASSWORD_RATE_SCOPE, key=str(person.pk))
    return PasswordSigned(signed=signed, key_id=key.pk)


def password_signature_record(
    *,
    person: Person,
    done: PasswordSigned,
    document_ref: str,
    context: Context = SYSTEM,
) -> None:
    """The signature in the audit log: in the caller's transaction, with
    what it signed (the contract), so that both happen or neither."""
    audit_record(
        name="signing.password.signed",
        actor=person,
        subject=PersonSigningKey.objects.get(pk=done.key_id),
        data={
            "document": document_ref,
            "signed_sha256": hashlib.sha256(done.signed).hexdigest(),
        },
        context=context,
    )
