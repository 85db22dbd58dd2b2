"""The links that lead to a contract: the personal links of its e-mail
(activation and contract; only their HMAC is stored) and the short links
of its SMS (ES-9), rate-limited per client address."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.contracts.models import AccessLink, Contract, LinkPurpose
from paraph.contracts.services.common import contract_event
from paraph.contracts.services.errors import AccessLinkInvalid, ShortLinkRateLimited
from paraph.core.context import SYSTEM, Context
from paraph.core.ratelimit import ratelimit_hit

# --- Access links (the e-mail's) ----------------------------------------------------------


_LINK_SALT = "paraph.contracts.AccessLink"


def _link_hash(token: str) -> str:
    return salted_hmac(_LINK_SALT, token, algorithm="sha256").hexdigest()


def access_link_url(purpose: str, token: str) -> str:
    """The full address of a link sent by e-mail, under ``BASE_URL``."""
    name = {
        LinkPurpose.ACTIVATE: "adminbox:activate",
        LinkPurpose.OPEN_CONTRACT: "adminbox:contract_link",
    }[LinkPurpose(purpose)]
    return f"{settings.BASE_URL}{reverse(name, args=[token])}"


def link_create(
    *,
    person: Person,
    purpose: str,
    contract: Contract | None,
    expires_at: dt.datetime,
    other_person: Person | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    AccessLink.objects.create(
        token_hash=_link_hash(token),
        purpose=purpose,
        person=person,
        contract=contract,
        other_person=other_person,
        expires_at=expires_at,
    )
    return token


def access_link_create(*, person: Person, purpose: str, contract: Contract | None = None) -> str:
    """A new link token for ``person`` (e.g. to send an activation link
    again); valid ``CONTRACT_LINK_DAYS``. The token itself is never stored."""
    if purpose not in LinkPurpose.values:
        raise ValueError(f"unknown link purpose {purpose!r}")
    if purpose == LinkPurpose.OPEN_CONTRACT and contract is None:
        raise ValueError("a contract link needs its contract")
    expires_at = timezone.now() + dt.timedelta(days=settings.CONTRACT_LINK_DAYS)
    with transaction.atomic():
        return link_create(person=person, purpose=purpose, contract=contract, expires_at=expires_at)


def access_link_resolve(*, token: str, purpose: str) -> AccessLink:
    """The link ``token`` names, for ``purpose``; raises
    :class:`AccessLinkInvalid` (``unknown``, ``merged``: an activation link
    of an adminbox since merged into another, ``expired``, ``used``) — the
    adminbox shows each with its own words. Changes nothing."""
    if not token or len(token) > 100:
        raise AccessLinkInvalid("unknown link", code="unknown")
    link = (
        AccessLink.objects.select_related("person", "contract")
        .filter(token_hash=_link_hash(token), purpose=purpose)
        .first()
    )
    if link is None:
        raise AccessLinkInvalid("unknown link", code="unknown")
    if purpose == LinkPurpose.ACTIVATE and link.other_person_id is not None:
        raise AccessLinkInvalid("this adminbox was merged into another", code="merged")
    if link.single_use and link.used_at is not None:
        raise AccessLinkInvalid("this link was already used", code="used")
    if timezone.now() >= link.expires_at:
        raise AccessLinkInvalid("this link has expired", code="expired")
    return link


def access_link_use(*, link: AccessLink, context: Context = SYSTEM) -> AccessLink:
    """Record that ``link`` was followed (an activation link then stops
    working). Raises :class:`AccessLinkInvalid` ``used`` when a second
    request used the same activation link a moment before."""
    with transaction.atomic():
        locked = AccessLink.objects.select_for_update().get(pk=link.pk)
        if locked.single_use and locked.used_at is not None:
            raise AccessLinkInvalid("this link was already used", code="used")
        now = timezone.now()
        fields = ["use_count"]
        if locked.used_at is None:
            locked.used_at = now
            fields.append("used_at")
        locked.use_count += 1
        locked.save(update_fields=fields)
        if locked.contract_id is not None:
            contract_event(
                locked.contract,  # type: ignore[arg-type]
                "link_used",
                actor=locked.person,
                context=context,
                data={"purpose": locked.purpose},
            )
        audit_record(
            name="contracts.link.used",
            actor=locked.person,
            subject=locked.contract or locked.person,
            data={"purpose": locked.purpose, "times": locked.use_count},
            context=context,
        )
    return locked


# --- Short links (the SMS's) --------------------------------------------------------------


# Short links (ES-9): 10 characters of a 32-letter alphabet without look-alikes
# (no 0/o, no 1/l), 50 bits. A short link is no credential: it leads to
# the contract page, which needs the person logged in; its route is rate-limited.
SHORT_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
SHORT_LENGTH = 10
# Per client address: follows in a window, and unknown codes in a longer one.
SHORT_RATE = (60, 600)
SHORT_FAILURE_RATE = (20, 3600)


def short_link_url(code: str) -> str:
    return f"{settings.BASE_URL}{reverse('adminbox:short', args=[code])}"


def short_link_create(*, person: Person, contract: Contract, expires_at: dt.datetime) -> str:
    """A short link to ``contract`` for an SMS; only its HMAC is stored."""
    code = "".join(secrets.choice(SHORT_ALPHABET) for _ in range(SHORT_LENGTH))
    AccessLink.objects.create(
        token_hash=_link_hash(code),
        purpose=LinkPurpose.SHORT_CONTRACT,
        person=person,
        contract=contract,
        expires_at=expires_at,
    )
    return code


def short_link_follow(*, code: str, context: Context = SYSTEM) -> AccessLink:
    """The short link ``code`` names, recorded as followed; raises
    :class:`ShortLinkRateLimited` when its client followed too many links,
    or guessed too many wrong ones, and :class:`AccessLinkInvalid` for an
    unknown or expired code."""
    ip = context.ip or "unknown"
    limit, window = SHORT_RATE
    verdict = ratelimit_hit(scope="contracts.short.ip", key=ip, limit=limit, window_seconds=window)
    if not verdict.allowed:
        raise ShortLinkRateLimited(verdict.retry_after)
    code = (code or "").strip().lower()
    try:
        if len(code) != SHORT_LENGTH:
            raise AccessLinkInvalid("unknown link", code="unknown")
        link = access_link_resolve(token=code, purpose=LinkPurpose.SHORT_CONTRACT)
    except AccessLinkInvalid:
        limit, window = SHORT_FAILURE_RATE
        failures = ratelimit_hit(
            scope="contracts.short.fail", key=ip, limit=limit, window_seconds=window
        )
        if not failures.allowed:
            raise ShortLinkRateLimited(failures.retry_after) from None
        raise
    return access_link_use(link=link, context=context)
