"""One-time codes: the building block behind log-in codes, e-mail and
phone verification and mandate signing (RG-7). ``code_issue`` and
``code_resend`` record the sending in the audit log; ``code_verify`` does
not, because only its caller knows what the code proved: it records the
outcome under its own event name (``accounts.login.succeeded``,
``accounts.login.failed``...)."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from paraph.accounts.hashing import binding_hash, code_hash, code_normalize, destination_hash
from paraph.accounts.models import CodeChannel, CodePurpose, LoginDecoy, OneTimeCode, Person
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.core.ratelimit import ratelimit_hit
from paraph.notifications.addresses import mask_destination
from paraph.notifications.models import SmsPurpose
from paraph.notifications.services import email_send, sms_send

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


def code_new() -> str:
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


def _code_send(
    *,
    code_obj: OneTimeCode,
    code: str,
    destination: str,
    language: str,
    template: str,
    audit_name: str,
    context: Context,
    resend: int = 0,
) -> None:
    """Send ``code`` to ``destination`` by the attempt's channel, then record
    the sending (``resend``: how many times it was sent before)."""
    values = {"code": code, "minutes": max(1, settings.CODE_TTL_SECONDS // 60)}
    template = template or _CODE_TEMPLATES.get(code_obj.purpose, "verify_code")
    if code_obj.channel == CodeChannel.EMAIL:
        email_send(
            to=destination,
            template=template,
            context=values,
            language=language,
            person=code_obj.person,
            secret=True,
            interactive=True,  # someone waits for it on a page (ADR 25)
        )
    else:
        sms_send(
            to=destination,
            template=template,
            context=values,
            language=language,
            person=code_obj.person,
            secret=True,
            # RG-7: codes that protect the person's account or signature are
            # what the phone is for; checking a new number has its own purpose.
            purpose=SmsPurpose.PHONE_VERIFICATION
            if code_obj.purpose == CodePurpose.PHONE_VERIFY
            else SmsPurpose.LOGIN_CODE,
        )
    audit_record(
        name=audit_name,
        subject=code_obj.person,
        data={
            "purpose": code_obj.purpose,
            "channel": code_obj.channel,
            "to": code_obj.destination_masked,
            **({"resend": resend} if resend else {}),
        },
        context=context,
    )


def code_issue(
    *,
    purpose: str,
    channel: str,
    destination: str,
    person: Person | None,
    language: str,
    context: Context,
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
    code = code_new()
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
            _code_send(
                code_obj=code_obj,
                code=code,
                destination=destination,
                language=language,
                template=template,
                audit_name=audit_name,
                context=context,
            )
    if secrets.randbelow(100) == 0:
        code_prune()
    return code_obj, token


def code_verify(
    *, binding_token: str, purpose: str, value: str, context: Context = SYSTEM
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


def code_proves(
    check: CodeCheck, *, channel: str, destination: str, person: Person | None = None
) -> bool:
    """Whether a right code proves ``destination``: ``check`` is ``ok`` and
    its code was sent there by ``channel`` (and, when ``person`` is given,
    for that person's attempt). A right code sent elsewhere proves
    nothing: the caller answers as for an unknown attempt."""
    code = check.code
    return (
        check.outcome == CodeOutcome.OK
        and code is not None
        and code.destination_hash == destination_hash(channel, destination)
        and (person is None or code.person_id == person.pk)
    )


def code_would_match(
    *, binding_token: str, purpose: str, value: str, person_id: int | None = None
) -> bool:
    """Whether :func:`code_verify` would find ``value`` right now (for
    ``person_id``'s attempt, when given), without using the code or costing
    a try: for a service that must do slow outside work (a seal with a
    time-stamp) before the code is used, outside any transaction. The
    answer is a hint only: the caller still calls :func:`code_verify`,
    which alone decides, and every guess costs a try there."""
    if not binding_token:
        return False
    code_obj = OneTimeCode.objects.filter(
        binding_hash=binding_hash(binding_token), purpose=purpose
    ).first()
    if code_obj is None or code_obj.is_decoy or code_obj.used_at is not None:
        return False
    if person_id is not None and code_obj.person_id != person_id:
        return False
    if code_obj.tries >= settings.CODE_MAX_TRIES or code_obj.expires_at <= timezone.now():
        return False
    return constant_time_compare(
        code_hash(code_obj.binding_hash, code_normalize(value)), code_obj.code_hash
    )


def code_resend(
    *,
    binding_token: str,
    purpose: str,
    destination: str | None,
    language: str,
    context: Context,
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
        code = code_new()
        if not code_obj.is_decoy:
            code_obj.code_hash = code_hash(code_obj.binding_hash, code)
        code_obj.expires_at = now + timedelta(seconds=settings.CODE_TTL_SECONDS)
        code_obj.last_sent_at = now
        code_obj.send_count += 1
        code_obj.save(update_fields=["code_hash", "expires_at", "last_sent_at", "send_count"])
        if not code_obj.is_decoy and destination is not None:
            _code_send(
                code_obj=code_obj,
                code=code,
                destination=destination,
                language=language,
                template=template,
                audit_name=audit_name,
                context=context,
                resend=code_obj.send_count - 1,
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
