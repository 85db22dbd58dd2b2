"""Every change to a person: one function, one transaction, one audit event."""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from paraph.accounts.hashing import (
    binding_hash,
    code_hash,
    code_normalize,
    destination_hash,
)
from paraph.accounts.middleware import SESSION_STARTED_KEY
from paraph.accounts.models import (
    AssuranceLevel,
    CodeChannel,
    CodePurpose,
    Language,
    LoginDecoy,
    OneTimeCode,
    Person,
    RegistrationMethod,
)
from paraph.accounts.selectors import code_get_by_binding, code_resend_wait
from paraph.audit.services import audit_record
from paraph.core import roles
from paraph.core.belgium import national_number_normalize, phone_mask, phone_normalize
from paraph.core.http import client_ip
from paraph.core.ratelimit import RateLimitResult, ratelimit_hit
from paraph.notifications.addresses import mask_destination
from paraph.notifications.models import SmsPurpose
from paraph.notifications.services import email_send, sms_send


def person_set_language(
    *, person: Person, language: str, request: HttpRequest | None = None
) -> Person:
    """Remember the language a person chose for pages and messages."""
    if language not in Language.values:
        raise ValueError(f"unknown language {language!r}")
    if person.language == language:
        return person
    with transaction.atomic():
        old = person.language
        person.language = language
        person.save(update_fields=["language"])
        audit_record(
            name="accounts.person.language_changed",
            actor=person,
            subject=person,
            data={"old": old, "new": language},
            request=request,
        )
    return person


# --- Contact centre changes (LG-3): e-mail, phone, lock-out -----------------
# Imports kept with the functions that use them, so this block could be
# added without touching the imports above while others edit this file.


CHANGE_REASON_MAX = 1000


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _change_reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _field_error(
            "reason",
            gettext("Write why this change is made (who asked, how you checked who they are)."),
            "required",
        )
    if len(reason) > CHANGE_REASON_MAX:
        raise _field_error(
            "reason",
            gettext("The reason can be at most %(limit)d characters long.")
            % {"limit": CHANGE_REASON_MAX},
            "max_length",
        )
    return reason


def _contact_changed_notify(
    *, person: Person, kind: str, old: str, new: str, recipients: list[str]
) -> None:
    """Tell the person, at every address given, that the contact centre
    changed how we reach them; the message never shows an address in full."""
    if kind == "email":
        old_masked, new_masked = mask_destination("email", old), mask_destination("email", new)
    else:
        old_masked, new_masked = phone_mask(old) if old else "", phone_mask(new)
    for to in recipients:
        email_send(
            to=to,
            template="contact_changed",
            context={
                "name": person.get_full_name(),
                "kind": kind,
                "old": old_masked,
                "new": new_masked,
                "to_old_address": kind == "email" and to == old,
            },
            language=person.language,
            person=person,
        )


def person_change_email(
    *,
    person: Person,
    new_email: str,
    reason: str,
    actor: Person,
    request: HttpRequest | None = None,
) -> Person:
    """The contact centre changes a person's e-mail address (LG-3).

    Refuses, with a ``ValidationError`` keyed by field, a missing reason, an
    invalid address, the person's current address, and an address that
    belongs to another person (RG-3: an address is strictly personal).
    Notifies the person at the old and at the new address. The contact
    centre checked who the person is before the change, so the new address
    counts as verified from now on.
    """
    reason = _change_reason_clean(reason)
    new_email = Person.objects.normalize_email((new_email or "").strip())
    try:
        validate_email(new_email)
    except ValidationError as exc:
        raise _field_error(
            "new_email", gettext("Enter an e-mail address like name@example.be."), "invalid"
        ) from exc
    if new_email == person.email:
        raise _field_error(
            "new_email", gettext("This already is the person's e-mail address."), "unchanged"
        )
    taken = _field_error(
        "new_email",
        gettext(
            "This e-mail address belongs to another person. An e-mail address "
            "must be personal: it cannot be shared by two people."
        ),
        "taken",
    )
    if Person.objects.filter(email__iexact=new_email).exclude(pk=person.pk).exists():
        raise taken
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        old = locked.email
        locked.email = new_email
        locked.email_verified_at = timezone.now()
        try:
            with transaction.atomic():
                locked.save(update_fields=["email", "email_verified_at"])
        except IntegrityError as exc:  # taken by another person meanwhile
            raise taken from exc
        audit_record(
            name="accounts.email.changed",
            actor=actor,
            subject=locked,
            data={"old": old, "new": new_email, "reason": reason},
            request=request,
        )
        _contact_changed_notify(
            person=locked, kind="email", old=old, new=new_email, recipients=[old, new_email]
        )
    person.email, person.email_verified_at = locked.email, locked.email_verified_at
    return person


def person_change_phone(
    *,
    person: Person,
    new_phone: str,
    reason: str,
    actor: Person,
    request: HttpRequest | None = None,
) -> Person:
    """The contact centre changes a person's mobile phone for log-in codes.

    Refuses, with a ``ValidationError`` keyed by field, a missing reason, a
    number that is not a mobile number, the current number, and a number
    that belongs to another person. The person is told by e-mail, not by
    SMS (RG-7: the phone serves log-in codes only).
    """
    reason = _change_reason_clean(reason)
    try:
        new_phone = phone_normalize(new_phone)
    except ValidationError as exc:
        raise ValidationError({"new_phone": exc}) from exc
    if new_phone == person.phone:
        raise _field_error(
            "new_phone", gettext("This already is the person's phone number."), "unchanged"
        )
    taken = _field_error(
        "new_phone", gettext("This phone number belongs to another person."), "taken"
    )
    if Person.objects.filter(phone=new_phone).exclude(pk=person.pk).exists():
        raise taken
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        old = locked.phone
        locked.phone = new_phone
        locked.phone_verified_at = timezone.now()
        try:
            with transaction.atomic():
                locked.save(update_fields=["phone", "phone_verified_at"])
        except IntegrityError as exc:
            raise taken from exc
        audit_record(
            name="accounts.phone.changed",
            actor=actor,
            subject=locked,
            data={"old": old, "new": new_phone, "reason": reason},
            request=request,
        )
        _contact_changed_notify(
            person=locked, kind="phone", old=old, new=new_phone, recipients=[locked.email]
        )
    person.phone, person.phone_verified_at = locked.phone, locked.phone_verified_at
    return person


def person_unlock(*, person: Person, actor: Person, request: HttpRequest | None = None) -> bool:
    """Lift a log-in lock-out and forget past failures (LG-2: the contact
    centre helps a locked-out person). Returns False, and records nothing,
    when there was nothing to lift."""
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.locked_until is None and locked.failed_login_count == 0:
            return False
        old = {
            "locked_until": locked.locked_until.isoformat() if locked.locked_until else None,
            "failed_login_count": locked.failed_login_count,
        }
        locked.locked_until = None
        locked.failed_login_count = 0
        locked.save(update_fields=["locked_until", "failed_login_count"])
        audit_record(
            name="accounts.login.unlocked",
            actor=actor,
            subject=locked,
            data={"old": old},
            request=request,
        )
    person.locked_until, person.failed_login_count = None, 0
    return True


# --- One-time codes, log-in and log-out (LG-1, LG-2, RG-7) -----------------
# Imports kept with the functions that use them (see the block above).


# --- One-time codes --------------------------------------------------------
#
# The building block behind log-in codes, e-mail and phone verification and
# mandate signing. ``code_issue`` and ``code_resend`` record the sending in
# the audit log; ``code_verify`` does not, because only its caller knows
# what the code proved: it records the outcome under its own event name
# (``accounts.login.succeeded``, ``accounts.login.failed``...).

# A code sent to one phone or address more often than this, whatever its
# purpose, is refused: it protects people from SMS floods and Paraph from
# SMS bills.
CODE_SENDS_PER_DESTINATION = 10
CODE_SENDS_WINDOW_SECONDS = 3600
# One attempt may send its code this many times (the first and the resends).
CODE_MAX_SENDS_PER_ATTEMPT = 5

_CODE_TEMPLATES: dict[str, str] = {
    CodePurpose.LOGIN: "login_code",
    CodePurpose.STAFF_LOGIN: "login_code",
    # says what the code authorises: a mandate, a year of password signing
    CodePurpose.MANDATE_SIGN: "mandate_code",
}


class CodeOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    EXHAUSTED = "exhausted"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CodeCheck:
    """What ``code_verify`` found; ``tries_left`` counts the wrong tries the
    attempt still allows."""

    outcome: CodeOutcome
    tries_left: int
    code: OneTimeCode | None = None


class ResendOutcome(StrEnum):
    SENT = "sent"
    COOLDOWN = "cooldown"
    LIMITED = "limited"
    LOCKED = "locked"
    USED = "used"
    EXHAUSTED = "exhausted"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CodeResend:
    """What ``code_resend`` did; ``retry_after`` is the wait in seconds when
    it refused because of the cool-down or a rate limit; ``locked_until``
    the end of the account's lock-out when it refused because of one."""

    outcome: ResendOutcome
    retry_after: int = 0
    locked_until: datetime | None = None


class CodeRateLimited(Exception):
    """Too many codes went to this destination recently."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many codes sent; retry in {retry_after} s")
        self.retry_after = retry_after


def _code_new() -> str:
    digits = settings.CODE_DIGITS
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def _destination_mask(destination: str) -> str:
    # A decoy's destination is whatever identifier was typed, phone or e-mail.
    channel = CodeChannel.EMAIL if "@" in destination else CodeChannel.SMS
    return mask_destination(channel, destination)


def _code_destination_allowed(destination_key: str) -> None:
    result = ratelimit_hit(
        scope="code.send",
        key=destination_key,
        limit=CODE_SENDS_PER_DESTINATION,
        window_seconds=CODE_SENDS_WINDOW_SECONDS,
    )
    if not result.allowed:
        raise CodeRateLimited(result.retry_after)


def _code_deliver(
    *, code_obj: OneTimeCode, code: str, destination: str, language: str, template: str
) -> None:
    context = {"code": code, "minutes": max(1, settings.CODE_TTL_SECONDS // 60)}
    template = template or _CODE_TEMPLATES.get(code_obj.purpose, "verify_code")
    if code_obj.channel == CodeChannel.EMAIL:
        email_send(
            to=destination,
            template=template,
            context=context,
            language=language,
            person=code_obj.person,
            secret=True,
            interactive=True,  # someone waits for it on a page (ADR 25)
        )
        return
    sms_send(
        to=destination,
        template=template,
        context=context,
        language=language,
        person=code_obj.person,
        secret=True,
        # RG-7: codes that protect the person's account or signature are
        # what the phone is for; checking a new number has its own purpose.
        purpose=SmsPurpose.PHONE_VERIFICATION
        if code_obj.purpose == CodePurpose.PHONE_VERIFY
        else SmsPurpose.LOGIN_CODE,
    )


def code_issue(
    *,
    purpose: str,
    channel: str,
    destination: str,
    person: Person | None,
    language: str,
    request: HttpRequest | None,
    template: str = "",
    decoy: bool = False,
    audit_name: str = "accounts.code.sent",
) -> tuple[OneTimeCode, str]:
    """Start an attempt: send a fresh code to ``destination`` (an E.164
    phone for SMS, an e-mail address) and return the attempt with its
    binding token. The caller keeps the token in the session that asked
    for the code; without it the code is useless.

    The code is stored as an HMAC-SHA256 keyed with the secret key, not
    with a slow password hash: a six-digit code has only a million values,
    so no hash, however slow, would stop an offline search. Its protection
    is elsewhere: the key (a stolen database alone cannot test a guess),
    ``CODE_MAX_TRIES`` wrong tries per attempt, the expiry after
    ``CODE_TTL_SECONDS`` and single use. A decoy (an identifier that
    matches no account) is stored with a random hash that no code matches
    and sends nothing.

    Refuses with :class:`CodeRateLimited` when the destination has been
    sent too many codes recently.
    """
    dest_hash = destination_hash(channel, destination)
    _code_destination_allowed(dest_hash)
    token = secrets.token_urlsafe(32)
    binding = binding_hash(token)
    code = _code_new()
    now = timezone.now()
    with transaction.atomic():
        code_obj = OneTimeCode.objects.create(
            purpose=purpose,
            channel=channel,
            person=person,
            destination_masked=_destination_mask(destination),
            destination_hash=dest_hash,
            code_hash=secrets.token_hex(32) if decoy else code_hash(binding, code),
            binding_hash=binding,
            is_decoy=decoy,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.CODE_TTL_SECONDS),
            last_sent_at=now,
            send_count=1,
        )
        if not decoy:
            _code_deliver(
                code_obj=code_obj,
                code=code,
                destination=destination,
                language=language,
                template=template,
            )
            audit_record(
                name=audit_name,
                subject=person,
                data={"purpose": purpose, "channel": channel, "to": code_obj.destination_masked},
                request=request,
            )
    if secrets.randbelow(100) == 0:
        code_prune()
    return code_obj, token


def code_verify(
    *, binding_token: str, purpose: str, value: str, request: HttpRequest | None = None
) -> CodeCheck:
    """Check ``value`` against the attempt that ``binding_token`` names.

    Spaces, dashes and dots in ``value`` are ignored. A right code is used
    up at once; a wrong one costs one of the attempt's tries. Refuses
    (without costing a try) a code that was used, expired or whose tries
    are exhausted, and answers ``unknown`` for a token that names no
    attempt for ``purpose``. Records nothing in the audit log: the caller
    records what the code proved.
    """
    if not binding_token:
        return CodeCheck(CodeOutcome.UNKNOWN, 0)
    candidate = code_normalize(value)
    now = timezone.now()
    max_tries = settings.CODE_MAX_TRIES
    with transaction.atomic():
        # The row lock makes concurrent guesses take their turn, so no burst
        # of parallel requests gets more than the allowed tries.
        code_obj = (
            OneTimeCode.objects.select_for_update()
            .filter(binding_hash=binding_hash(binding_token), purpose=purpose)
            .first()
        )
        if code_obj is None:
            return CodeCheck(CodeOutcome.UNKNOWN, 0)
        tries_left = max(0, max_tries - code_obj.tries)
        if code_obj.used_at is not None:
            return CodeCheck(CodeOutcome.USED, tries_left, code_obj)
        if tries_left == 0:
            return CodeCheck(CodeOutcome.EXHAUSTED, 0, code_obj)
        if code_obj.expires_at <= now:
            return CodeCheck(CodeOutcome.EXPIRED, tries_left, code_obj)
        matches = constant_time_compare(
            code_hash(code_obj.binding_hash, candidate), code_obj.code_hash
        )
        if matches and not code_obj.is_decoy:
            code_obj.used_at = now
            code_obj.save(update_fields=["used_at"])
            return CodeCheck(CodeOutcome.OK, tries_left, code_obj)
        code_obj.tries += 1
        code_obj.save(update_fields=["tries"])
        return CodeCheck(CodeOutcome.WRONG, max_tries - code_obj.tries, code_obj)


def code_resend(
    *,
    binding_token: str,
    purpose: str,
    destination: str | None,
    language: str,
    request: HttpRequest | None,
    template: str = "",
    audit_name: str = "accounts.code.sent",
) -> CodeResend:
    """Send a new code for the same attempt; the previous code stops
    working and the expiry starts again. Wrong tries are not forgiven.

    Refuses during ``CODE_RESEND_COOLDOWN_SECONDS`` after the last sending
    (saying how long to wait), after ``CODE_MAX_SENDS_PER_ATTEMPT``
    sendings, for a used or exhausted attempt, and when ``destination`` is
    not the one the attempt was started with (decoys take ``None``).
    """
    if not binding_token:
        return CodeResend(ResendOutcome.UNKNOWN)
    now = timezone.now()
    with transaction.atomic():
        code_obj = (
            # of=("self",): PostgreSQL cannot lock the nullable side of the
            # outer join to the person; only the code row needs the lock.
            OneTimeCode.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(binding_hash=binding_hash(binding_token), purpose=purpose)
            .first()
        )
        if code_obj is None:
            return CodeResend(ResendOutcome.UNKNOWN)
        if code_obj.used_at is not None:
            return CodeResend(ResendOutcome.USED)
        if code_obj.tries >= settings.CODE_MAX_TRIES:
            return CodeResend(ResendOutcome.EXHAUSTED)
        wait = _resend_wait(code_obj, now)
        if wait > 0:
            return CodeResend(ResendOutcome.COOLDOWN, retry_after=wait)
        if code_obj.send_count >= CODE_MAX_SENDS_PER_ATTEMPT:
            return CodeResend(ResendOutcome.LIMITED)
        if not code_obj.is_decoy and (
            destination is None
            or destination_hash(code_obj.channel, destination) != code_obj.destination_hash
        ):
            return CodeResend(ResendOutcome.UNKNOWN)
        try:
            _code_destination_allowed(code_obj.destination_hash)
        except CodeRateLimited as exc:
            return CodeResend(ResendOutcome.LIMITED, retry_after=exc.retry_after)
        code = _code_new()
        if not code_obj.is_decoy:
            code_obj.code_hash = code_hash(code_obj.binding_hash, code)
        code_obj.expires_at = now + timedelta(seconds=settings.CODE_TTL_SECONDS)
        code_obj.last_sent_at = now
        code_obj.send_count += 1
        code_obj.save(update_fields=["code_hash", "expires_at", "last_sent_at", "send_count"])
        if not code_obj.is_decoy and destination is not None:
            _code_deliver(
                code_obj=code_obj,
                code=code,
                destination=destination,
                language=language,
                template=template,
            )
            audit_record(
                name=audit_name,
                subject=code_obj.person,
                data={
                    "purpose": purpose,
                    "channel": code_obj.channel,
                    "to": code_obj.destination_masked,
                    "resend": code_obj.send_count - 1,
                },
                request=request,
            )
    return CodeResend(ResendOutcome.SENT)


def _resend_wait(code_obj: OneTimeCode, now: datetime) -> int:
    elapsed = (now - code_obj.last_sent_at).total_seconds()
    return max(0, math.ceil(settings.CODE_RESEND_COOLDOWN_SECONDS - elapsed))


def code_prune() -> None:
    """Delete attempts that expired a day ago, and decoys nobody touched for
    a month (housekeeping, not a change to anyone's account)."""
    now = timezone.now()
    OneTimeCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    LoginDecoy.objects.filter(updated_at__lt=now - timedelta(days=30)).exclude(
        locked_until__gt=now
    ).delete()


# --- Log-in with a code sent by SMS (LG-1, LG-2) ---------------------------


@dataclass(frozen=True)
class RateRule:
    scope: str
    limit: int
    window_seconds: int

    def hit(self, key: str) -> RateLimitResult:
        return ratelimit_hit(
            scope=self.scope, key=key, limit=self.limit, window_seconds=self.window_seconds
        )


# Log-in requests (first code or a new one) from one IP address, for one
# identifier, and for one account; code checks from one IP address.
LOGIN_PER_IP = RateRule("login.ip", 30, 15 * 60)
LOGIN_PER_IDENTIFIER = RateRule("login.identifier", 5, 15 * 60)
LOGIN_PER_ACCOUNT = RateRule("login.account", 10, 60 * 60)
LOGIN_CHECKS_PER_IP = RateRule("login.check_ip", 60, 15 * 60)
STAFF_LOGIN_PER_IP = RateRule("staff.ip", 20, 15 * 60)
STAFF_LOGIN_PER_EMAIL = RateRule("staff.email", 10, 15 * 60)

# The session key that marks a back-office session whose owner gave both
# factors (password and SMS code); the admin refuses sessions without it.
STAFF_VERIFIED_SESSION_KEY = "paraph_staff_verified"


@dataclass(frozen=True)
class LoginIdentifier:
    """What a person typed to log in, parsed: a phone number in E.164 or a
    lower-cased e-mail address."""

    kind: Literal["phone", "email"]
    value: str


class LoginOutcome(StrEnum):
    CODE_SENT = "code_sent"
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    EXHAUSTED = "exhausted"
    UNKNOWN = "unknown"
    LOCKED = "locked"
    RATE_LIMITED = "rate_limited"
    INVALID = "invalid"
    NO_PHONE = "no_phone"


@dataclass(frozen=True)
class LoginStep:
    """The result of one log-in step. ``binding_token`` (after a code was
    sent) goes into the session; ``locked_until`` and ``retry_after`` tell
    the person how long to wait."""

    outcome: LoginOutcome
    binding_token: str = ""
    tries_left: int = 0
    retry_after: int = 0
    locked_until: datetime | None = None
    person: Person | None = None


_LockTarget = Person | LoginDecoy


def _login_account(identifier: LoginIdentifier) -> Person | None:
    """The active person the identifier names, if they can receive a log-in
    code (a verified mobile phone)."""
    people = Person.objects.filter(is_active=True, phone_verified_at__isnull=False).exclude(
        phone=""
    )
    if identifier.kind == "phone":
        return people.filter(phone=identifier.value).first()
    return people.filter(email__iexact=identifier.value).first()


def _account_key(target: _LockTarget) -> str:
    if isinstance(target, Person):
        return f"person:{target.pk}"
    return f"decoy:{target.identifier_hash}"


def _lock_target_for(code_obj: OneTimeCode) -> _LockTarget | None:
    """The account an attempt counts failures against, locked for update:
    its person, or the decoy standing for an unknown identifier."""
    if code_obj.is_decoy:
        return (
            LoginDecoy.objects.select_for_update()
            .filter(identifier_hash=code_obj.destination_hash)
            .first()
        )
    if code_obj.person_id is None:
        return None
    return Person.objects.select_for_update().filter(pk=code_obj.person_id).first()


def login_failure_count(
    *, target: _LockTarget, request: HttpRequest, method: str, to: str = ""
) -> datetime | None:
    """Count one failure against the account (or decoy); lock it after
    ``LOGIN_LOCKOUT_FAILURES`` in a row. Returns the end of the lock-out
    when this failure started one."""
    now = timezone.now()
    person = target if isinstance(target, Person) else None
    target.failed_login_count += 1
    fields = ["failed_login_count"] if person else ["failed_login_count", "updated_at"]
    locked_until = None
    if target.failed_login_count >= settings.LOGIN_LOCKOUT_FAILURES:
        locked_until = now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
        target.locked_until = locked_until
        # A fresh count after the lock-out ends, not an immediate re-lock.
        target.failed_login_count = 0
        fields.append("locked_until")
    target.save(update_fields=fields)
    data: dict[str, object] = {"method": method, "known": person is not None}
    if to:
        data["to"] = to
    if locked_until is not None:
        data["locked_until"] = locked_until.isoformat()
    else:
        data["failures"] = target.failed_login_count
    audit_record(
        name="accounts.login.locked" if locked_until else "accounts.login.failed",
        subject=person,
        data=data,
        request=request,
    )
    return locked_until


def login_session_start(*, person: Person, request: HttpRequest, name: str, method: str) -> None:
    """A successful log-in: the failure count reset, the session started
    (with a new key) and the event ``name`` audited. Shared by every way of
    logging in (codes, passwords, the adminbox's activation)."""
    if person.failed_login_count or person.locked_until:
        person.failed_login_count = 0
        person.locked_until = None
        person.save(update_fields=["failed_login_count", "locked_until"])
    # login() gives the session a new key, so a session id planted before
    # the log-in is worthless after it.
    auth_login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_STARTED_KEY] = int(time.time())
    audit_record(name=name, actor=person, subject=person, data={"method": method}, request=request)


def login_code_request(*, identifier: LoginIdentifier, request: HttpRequest) -> LoginStep:
    """Send a log-in code by SMS to the person ``identifier`` names.

    When no active person with a verified phone matches, nothing is sent
    but a decoy attempt is made that answers every later step exactly as
    a real one would (LG-1: the answer never reveals whether an account
    exists). Refuses when the IP address, the identifier or the account
    asked too often (``rate_limited``) and when the account is locked out.
    """
    ip = client_ip(request) or "unknown"
    for rule, key in (
        (LOGIN_PER_IP, ip),
        (LOGIN_PER_IDENTIFIER, f"{identifier.kind}:{identifier.value}"),
    ):
        limit = rule.hit(key)
        if not limit.allowed:
            return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=limit.retry_after)
    person = _login_account(identifier)
    with transaction.atomic():
        target: _LockTarget
        if person is not None:
            target = person
        else:
            target, _created = LoginDecoy.objects.get_or_create(
                identifier_hash=destination_hash(CodeChannel.SMS, identifier.value)
            )
        if target.is_locked():
            return LoginStep(LoginOutcome.LOCKED, locked_until=target.locked_until)
        limit = LOGIN_PER_ACCOUNT.hit(_account_key(target))
        if not limit.allowed:
            return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=limit.retry_after)
        try:
            _code, token = code_issue(
                purpose=CodePurpose.LOGIN,
                channel=CodeChannel.SMS,
                destination=person.phone if person else identifier.value,
                person=person,
                language=person.language if person else settings.LANGUAGE_CODE,
                request=request,
                decoy=person is None,
                audit_name="accounts.login.code_sent",
            )
        except CodeRateLimited as exc:
            return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=exc.retry_after)
    return LoginStep(LoginOutcome.CODE_SENT, binding_token=token)


def login_code_resend(
    *, binding_token: str, request: HttpRequest, purpose: str = CodePurpose.LOGIN
) -> CodeResend:
    """Send a new log-in code for the attempt in the session (to the phone
    on file; a decoy sends nothing). Refuses like ``code_resend``, and when
    the IP address or the account asked too often (``limited``) or the
    account is locked out (``locked``)."""
    code_obj = code_get_by_binding(binding_token=binding_token, purpose=purpose)
    if code_obj is None:
        return CodeResend(ResendOutcome.UNKNOWN)
    wait = code_resend_wait(binding_token=binding_token, purpose=purpose)
    if wait > 0:
        # The cool-down answers first, so pressing the button early costs
        # nothing against the rate limits.
        return CodeResend(ResendOutcome.COOLDOWN, retry_after=wait)
    limit = LOGIN_PER_IP.hit(client_ip(request) or "unknown")
    if not limit.allowed:
        return CodeResend(ResendOutcome.LIMITED, retry_after=limit.retry_after)
    with transaction.atomic():
        target = _lock_target_for(code_obj)
        if target is None:
            return CodeResend(ResendOutcome.UNKNOWN)
        if target.is_locked():
            return CodeResend(ResendOutcome.LOCKED, locked_until=target.locked_until)
        limit = LOGIN_PER_ACCOUNT.hit(_account_key(target))
        if not limit.allowed:
            return CodeResend(ResendOutcome.LIMITED, retry_after=limit.retry_after)
        person = target if isinstance(target, Person) else None
        return code_resend(
            binding_token=binding_token,
            purpose=purpose,
            destination=person.phone if person else None,
            language=person.language if person else settings.LANGUAGE_CODE,
            request=request,
            audit_name="accounts.login.code_sent",
        )


def _code_login(
    *, binding_token: str, value: str, request: HttpRequest, purpose: str, staff: bool
) -> LoginStep:
    limit = LOGIN_CHECKS_PER_IP.hit(client_ip(request) or "unknown")
    if not limit.allowed:
        return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=limit.retry_after)
    code_obj = code_get_by_binding(binding_token=binding_token, purpose=purpose)
    if code_obj is None:
        return LoginStep(LoginOutcome.UNKNOWN)
    method = "backoffice" if staff else "sms"
    with transaction.atomic():
        target = _lock_target_for(code_obj)
        if target is None:
            return LoginStep(LoginOutcome.UNKNOWN)
        if target.is_locked():
            return LoginStep(LoginOutcome.LOCKED, locked_until=target.locked_until)
        check = code_verify(
            binding_token=binding_token, purpose=purpose, value=value, request=request
        )
        if check.outcome == CodeOutcome.WRONG:
            locked_until = login_failure_count(
                target=target, request=request, method=method, to=code_obj.destination_masked
            )
            if locked_until is not None:
                return LoginStep(LoginOutcome.LOCKED, locked_until=locked_until)
            return LoginStep(LoginOutcome.WRONG, tries_left=check.tries_left)
        if check.outcome != CodeOutcome.OK:
            return LoginStep(LoginOutcome(check.outcome.value), tries_left=check.tries_left)
        person = target
        if (
            not isinstance(person, Person)
            or not person.is_active
            or (staff and not person.is_staff)
        ):
            return LoginStep(LoginOutcome.UNKNOWN)
        login_session_start(
            person=person,
            request=request,
            name="accounts.staff.login_succeeded" if staff else "accounts.login.succeeded",
            method=method,
        )
        if staff:
            request.session[STAFF_VERIFIED_SESSION_KEY] = person.pk
    return LoginStep(LoginOutcome.OK, person=person)


def login_code_check(*, binding_token: str, value: str, request: HttpRequest) -> LoginStep:
    """Log the person in when ``value`` is the code of the attempt in their
    session. A wrong code costs a try and counts toward the account's
    lock-out (LG-2); an unknown identifier's decoy counts the same way.
    Refuses a locked account even with the right code."""
    return _code_login(
        binding_token=binding_token,
        value=value,
        request=request,
        purpose=CodePurpose.LOGIN,
        staff=False,
    )


def staff_login_start(*, email: str, password: str, request: HttpRequest) -> LoginStep:
    """First factor of the back-office log-in: e-mail and password; on
    success an SMS code goes to the staff member's verified phone.

    Refuses, with one and the same answer (``invalid``), unknown addresses,
    people who are not active staff and people without a usable password
    (they never get into the back office). A wrong password counts toward
    the same lock-out as wrong log-in codes.
    """
    ip = client_ip(request) or "unknown"
    for rule, key in ((STAFF_LOGIN_PER_IP, ip), (STAFF_LOGIN_PER_EMAIL, email.lower())):
        limit = rule.hit(key)
        if not limit.allowed:
            return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=limit.retry_after)
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(email__iexact=email).first()
        if (
            person is None
            or not person.is_active
            or not person.is_staff
            or not person.has_usable_password()
        ):
            # Hash the password anyway, so the answer takes as long as for
            # a real staff member.
            Person().set_password(password)
            return LoginStep(LoginOutcome.INVALID)
        if person.is_locked():
            return LoginStep(LoginOutcome.LOCKED, locked_until=person.locked_until)
        if not person.check_password(password):
            locked_until = login_failure_count(target=person, request=request, method="password")
            if locked_until is not None:
                return LoginStep(LoginOutcome.LOCKED, locked_until=locked_until)
            return LoginStep(LoginOutcome.INVALID)
        if not person.phone or person.phone_verified_at is None:
            return LoginStep(LoginOutcome.NO_PHONE)
        try:
            _code, token = code_issue(
                purpose=CodePurpose.STAFF_LOGIN,
                channel=CodeChannel.SMS,
                destination=person.phone,
                person=person,
                language=person.language,
                request=request,
                audit_name="accounts.login.code_sent",
            )
        except CodeRateLimited as exc:
            return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=exc.retry_after)
    return LoginStep(LoginOutcome.CODE_SENT, binding_token=token)


def staff_login_code_check(*, binding_token: str, value: str, request: HttpRequest) -> LoginStep:
    """Second factor of the back-office log-in: the SMS code. On success the
    session is marked as having given both factors, which the back office
    requires; failures count toward the same lock-out."""
    return _code_login(
        binding_token=binding_token,
        value=value,
        request=request,
        purpose=CodePurpose.STAFF_LOGIN,
        staff=True,
    )


# --- Log-out -----------------------------------------------------------------


def person_logout(*, request: HttpRequest) -> None:
    """End this session."""
    user = request.user
    with transaction.atomic():
        if isinstance(user, Person):
            audit_record(name="accounts.logout.done", actor=user, subject=user, request=request)
        auth_logout(request)


def person_logout_everywhere(*, person: Person, request: HttpRequest) -> None:
    """End every session of ``person``, on every device, this one included:
    the raised ``session_epoch`` changes the session auth hash that Django
    checks on each request."""
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(session_epoch=F("session_epoch") + 1)
        person.refresh_from_db(fields=["session_epoch"])
        audit_record(
            name="accounts.logout.everywhere",
            actor=person,
            subject=person,
            data={"session_epoch": person.session_epoch},
            request=request,
        )
        auth_logout(request)


# --- The contact centre creates a person (until registration exists) --------


def _national_number_mask(national_number: str) -> str:
    """``85.07.30-***.**``: the birth date part only, for the audit log."""
    return f"{national_number[:2]}.{national_number[2:4]}.{national_number[4:6]}-***.**"


def person_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    national_number: str,
    language: str,
    reason: str,
    actor: Person,
    request: HttpRequest | None = None,
) -> Person:
    """The contact centre creates a person's account, at their request.

    Refuses, with one ``ValidationError`` keyed by field that lists every
    mistake at once: a missing reason, a missing or too long name, an
    invalid e-mail address, a number that is not a mobile number, an
    invalid national register number (optional), an unknown language, and
    an e-mail address, phone number or national number that belongs to
    another person (RG-3), without ever naming that person.

    The contact centre checked the person on the phone, so the phone counts
    as verified and the person can log in with an SMS code at once; the
    e-mail address is not verified. The account has no password. The person
    gets a welcome e-mail in their language.
    """
    errors: dict[str, Any] = {}

    def refuse(field: str, message: str, code: str) -> None:
        errors.setdefault(field, ValidationError(message, code=code))

    try:
        reason = _change_reason_clean(reason)
    except ValidationError as exc:
        errors.update(exc.error_dict)

    names: dict[str, str] = {}
    for field, value, missing in (
        ("first_name", first_name, gettext("Enter the person's first name.")),
        ("last_name", last_name, gettext("Enter the person's last name.")),
    ):
        value = " ".join((value or "").split())
        limit = 150  # the max_length of Person.first_name and last_name
        if not value:
            refuse(field, missing, "required")
        elif len(value) > limit:
            refuse(
                field,
                gettext("A name can be at most %(limit)d characters long.") % {"limit": limit},
                "max_length",
            )
        names[field] = value

    email = Person.objects.normalize_email((email or "").strip())
    email_taken = gettext(
        "This e-mail address belongs to another person. An e-mail address "
        "must be personal: it cannot be shared by two people."
    )
    if not email:
        refuse("email", gettext("Enter the person's e-mail address."), "required")
    else:
        try:
            validate_email(email)
        except ValidationError:
            refuse("email", gettext("Enter an e-mail address like name@example.be."), "invalid")
        else:
            if Person.objects.filter(email__iexact=email).exists():
                refuse("email", email_taken, "taken")

    phone_taken = gettext("This phone number belongs to another person.")
    if not (phone or "").strip():
        refuse("phone", gettext("Enter the person's mobile phone number."), "required")
    else:
        try:
            phone = phone_normalize(phone)
        except ValidationError as exc:
            errors.setdefault("phone", exc)
        else:
            if Person.objects.filter(phone=phone).exists():
                refuse("phone", phone_taken, "taken")

    nn_taken = gettext(
        "This national register number belongs to another person. Search for "
        "that person instead of creating a second account."
    )
    nn: str | None = None
    if (national_number or "").strip():
        try:
            nn = national_number_normalize(national_number)
        except ValidationError as exc:
            errors.setdefault("national_number", exc)
        else:
            if Person.objects.filter(national_number=nn).exists():
                refuse("national_number", nn_taken, "taken")

    if language not in Language.values:
        refuse(
            "language",
            gettext("Choose the language in which the person wants to read Paraph."),
            "required" if not language else "invalid",
        )

    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    person = Person(
        first_name=names["first_name"],
        last_name=names["last_name"],
        email=email,
        phone=phone,
        phone_verified_at=now,
        national_number=nn,
        language=language,
        assurance_level=AssuranceLevel.LOW,
        registration_method=RegistrationMethod.BACKOFFICE,
        registered_at=now,
        date_joined=now,
    )
    person.set_unusable_password()
    with transaction.atomic():
        try:
            with transaction.atomic():
                person.save(force_insert=True)
        except IntegrityError as exc:
            # Another person took one of them meanwhile: say which.
            raced: dict[str, ValidationError] = {}
            if Person.objects.filter(email__iexact=email).exists():
                raced["email"] = ValidationError(email_taken, code="taken")
            if Person.objects.filter(phone=phone).exists():
                raced["phone"] = ValidationError(phone_taken, code="taken")
            if nn and Person.objects.filter(national_number=nn).exists():
                raced["national_number"] = ValidationError(nn_taken, code="taken")
            if not raced:
                raise
            raise ValidationError(raced) from exc
        audit_record(
            name="accounts.person.created",
            actor=actor,
            subject=person,
            data={
                "new": {
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "email": email,
                    "phone": phone,
                    "national_number": _national_number_mask(nn) if nn else "",
                    "language": language,
                    "registration_method": RegistrationMethod.BACKOFFICE.value,
                    "assurance_level": AssuranceLevel.LOW.value,
                },
                "reason": reason,
            },
            request=request,
        )
        email_send(
            to=email,
            template="account_created",
            context={
                "name": person.get_full_name(),
                "login_url": f"{settings.BASE_URL}{reverse('accounts:login')}",
                "phone": phone_mask(phone),
            },
            language=language,
            person=person,
        )
    return person


# --- The first back-office agent (``paraph bootstrap-admin``) ----------------


class AgentBootstrapRefused(Exception):
    """``paraph bootstrap-admin`` was refused; the message says why."""


def agent_bootstrap(
    *,
    email: str,
    phone: str,
    first_name: str,
    last_name: str,
    password: str,
    language: str = Language.FR,
) -> Person:
    """Create the first back-office agent: an active superuser (who then
    adds the other agents in the back office) whose phone counts as verified,
    so the back office's log-in (password, then an SMS code) works at once.

    Refuses, naming why: when any active staff member already exists (it
    runs once; later agents are made in the back office), an invalid e-mail
    address or mobile number, one that belongs to someone, an unknown
    language, and a password that Django's validators refuse.
    """
    from django.contrib.auth.models import Group
    from django.contrib.auth.password_validation import validate_password

    email = Person.objects.normalize_email((email or "").strip())
    try:
        validate_email(email)
    except ValidationError as exc:
        raise AgentBootstrapRefused(f"{email!r} is not an e-mail address") from exc
    try:
        phone = phone_normalize(phone)
    except ValidationError as exc:
        raise AgentBootstrapRefused(f"{phone!r}: {' '.join(exc.messages)}") from exc
    if language not in Language.values:
        raise AgentBootstrapRefused(f"the language must be one of {', '.join(Language.values)}")
    first_name, last_name = " ".join(first_name.split()), " ".join(last_name.split())
    if not first_name or not last_name:
        raise AgentBootstrapRefused("the agent needs a first name and a last name")
    candidate = Person(email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise AgentBootstrapRefused("the password is refused: " + " ".join(exc.messages)) from exc

    with transaction.atomic():
        existing = Person.objects.filter(is_staff=True, is_active=True).first()
        if existing is not None:
            raise AgentBootstrapRefused(
                f"the back office already has an agent ({existing.email}): "
                "nothing was changed; add other agents in the back office"
            )
        if Person.objects.filter(email__iexact=email).exists():
            raise AgentBootstrapRefused(f"{email} already belongs to a person: nothing was changed")
        if Person.objects.filter(phone=phone).exists():
            raise AgentBootstrapRefused(f"{phone} already belongs to a person: nothing was changed")
        now = timezone.now()
        agent = Person.objects.create_user(
            email,
            password,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            phone_verified_at=now,
            language=language,
            is_staff=True,
            is_superuser=True,
            registration_method=RegistrationMethod.BACKOFFICE,
        )
        # What every agent may do (the role, declared in core/roles.py).
        agent.groups.add(*Group.objects.filter(name=roles.AGENTS))
        audit_record(
            name="accounts.agent.bootstrapped",
            subject=agent,
            actor_label="paraph bootstrap-admin",
            data={"email": email, "phone": phone_mask(phone), "superuser": True},
        )
    return agent
