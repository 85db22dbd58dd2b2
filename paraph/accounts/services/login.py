"""Log-in with a code sent by SMS (LG-1, LG-2), the back office's log-in
(e-mail and password, then a code) and log-out; requests are rate-limited
per address, identifier and account, and failures lock an account out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from paraph.accounts.hashing import destination_hash
from paraph.accounts.models import CodeChannel, CodePurpose, LoginDecoy, OneTimeCode, Person
from paraph.accounts.selectors import code_get_by_binding, code_resend_wait
from paraph.accounts.services.codes import (
    CodeOutcome,
    CodeRateLimited,
    CodeResend,
    ResendOutcome,
    code_issue,
    code_resend,
    code_verify,
)
from paraph.audit.services import audit_record
from paraph.core.context import Context
from paraph.core.ratelimit import RateLimitResult, ratelimit_hit


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
    return people.filter(email__ciexact=identifier.value).first()


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
    *, target: _LockTarget, context: Context, method: str, to: str = ""
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
        context=context,
    )
    return locked_until


def login_recorded(*, person: Person, context: Context, name: str, method: str) -> None:
    """A successful log-in: the failure count reset and the event ``name``
    audited, in the caller's transaction. Shared by every way of logging in
    (codes, passwords, the adminbox's activation); the view then opens the
    session (``paraph.accounts.sessions.session_open``)."""
    if person.failed_login_count or person.locked_until:
        person.failed_login_count = 0
        person.locked_until = None
        person.save(update_fields=["failed_login_count", "locked_until"])
    audit_record(name=name, actor=person, subject=person, data={"method": method}, context=context)


def login_code_request(*, identifier: LoginIdentifier, context: Context) -> LoginStep:
    """Send a log-in code by SMS to the person ``identifier`` names.

    When no active person with a verified phone matches, nothing is sent
    but a decoy attempt is made that answers every later step exactly as
    a real one would (LG-1: the answer never reveals whether an account
    exists). Refuses when the IP address, the identifier or the account
    asked too often (``rate_limited``) and when the account is locked out.
    """
    ip = context.ip or "unknown"
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
                context=context,
                decoy=person is None,
                audit_name="accounts.login.code_sent",
            )
        except CodeRateLimited as exc:
            return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=exc.retry_after)
    return LoginStep(LoginOutcome.CODE_SENT, binding_token=token)


def login_code_resend(
    *, binding_token: str, context: Context, purpose: str = CodePurpose.LOGIN
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
    limit = LOGIN_PER_IP.hit(context.ip or "unknown")
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
            context=context,
            audit_name="accounts.login.code_sent",
        )


def _code_login(
    *, binding_token: str, value: str, context: Context, purpose: str, staff: bool
) -> LoginStep:
    limit = LOGIN_CHECKS_PER_IP.hit(context.ip or "unknown")
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
            binding_token=binding_token, purpose=purpose, value=value, context=context
        )
        if check.outcome == CodeOutcome.WRONG:
            locked_until = login_failure_count(
                target=target, context=context, method=method, to=code_obj.destination_masked
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
        login_recorded(
            person=person,
            context=context,
            name="accounts.staff.login_succeeded" if staff else "accounts.login.succeeded",
            method=method,
        )
    return LoginStep(LoginOutcome.OK, person=person)


def login_code_check(*, binding_token: str, value: str, context: Context) -> LoginStep:
    """Prove the person's log-in when ``value`` is the code of the attempt
    in their session (the view then opens the session). A wrong code costs a try and counts toward the account's
    lock-out (LG-2); an unknown identifier's decoy counts the same way.
    Refuses a locked account even with the right code."""
    return _code_login(
        binding_token=binding_token,
        value=value,
        context=context,
        purpose=CodePurpose.LOGIN,
        staff=False,
    )


def staff_login_start(*, email: str, password: str, context: Context) -> LoginStep:
    """First factor of the back-office log-in: e-mail and password; on
    success an SMS code goes to the staff member's verified phone.

    Refuses, with one and the same answer (``invalid``), unknown addresses,
    people who are not active staff and people without a usable password
    (they never get into the back office). A wrong password counts toward
    the same lock-out as wrong log-in codes.
    """
    ip = context.ip or "unknown"
    for rule, key in ((STAFF_LOGIN_PER_IP, ip), (STAFF_LOGIN_PER_EMAIL, email.lower())):
        limit = rule.hit(key)
        if not limit.allowed:
            return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=limit.retry_after)
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(email__ciexact=email).first()
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
            locked_until = login_failure_count(target=person, context=context, method="password")
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
                context=context,
                audit_name="accounts.login.code_sent",
            )
        except CodeRateLimited as exc:
            return LoginStep(LoginOutcome.RATE_LIMITED, retry_after=exc.retry_after)
    return LoginStep(LoginOutcome.CODE_SENT, binding_token=token)


def staff_login_code_check(*, binding_token: str, value: str, context: Context) -> LoginStep:
    """Second factor of the back-office log-in: the SMS code. On success the
    view marks the session as having given both factors, which the back
    office requires; failures count toward the same lock-out."""
    return _code_login(
        binding_token=binding_token,
        value=value,
        context=context,
        purpose=CodePurpose.STAFF_LOGIN,
        staff=True,
    )


# --- Log-out -----------------------------------------------------------------


def person_logout(*, person: Person, context: Context) -> None:
    """Record that ``person`` ends this session (the view then ends it)."""
    audit_record(name="accounts.logout.done", actor=person, subject=person, context=context)


def person_logout_everywhere(*, person: Person, context: Context) -> None:
    """End every session of ``person``, on every device, this one included
    (the view ends this one at once): the raised ``session_epoch`` changes
    the session auth hash that Django checks on each request."""
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(session_epoch=F("session_epoch") + 1)
        person.refresh_from_db(fields=["session_epoch"])
        audit_record(
            name="accounts.logout.everywhere",
            actor=person,
            subject=person,
            data={"session_epoch": person.session_epoch},
            context=context,
        )
