"""Merging two adminboxes (ES-12; FLOWS.md, "Merging two adminboxes").

A person logged in to adminbox A names another address B
(:func:`adminbox_merge_request`). If B reaches an adminbox of someone else
(a registered person, or one created as the recipient of a contract), B
receives an e-mail explaining the procedure, with a single-use link (an
:class:`~paraph.contracts.models.AccessLink` of purpose ``merge`` bound to
A and to B's person). The answer is the same whether or not B is known.

The link, opened while logged in to A (:func:`adminbox_merge_preview`,
then :func:`adminbox_merge_confirm`), moves every contract of B into A,
attaches B's addresses to A as aliases (so later contracts sent to them
arrive in A), closes B's account for log-in and tells both addresses; one
audit event names both people and what moved. docs/contracts.md says why B
is closed rather than deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import Language, Person
from paraph.audit.services import audit_record
from paraph.contracts.models import SIGNABLE, AccessLink, Contract, LinkPurpose, RecipientAlias
from paraph.contracts.selectors import recipient_find
from paraph.contracts.services import (
    AccessLinkInvalid,
    ContractError,
    access_link_resolve,
    alias_clean,
    contracts_move_locked,
    link_create,
)
from paraph.core.context import SYSTEM, Context
from paraph.core.ratelimit import ratelimit_hit
from paraph.notifications.addresses import mask_destination
from paraph.notifications.models import Channel
from paraph.notifications.services import email_send

# How long the link in the e-mail to the other address works.
MERGE_LINK_HOURS = 48
# Requests per person, and per client address, in an hour.
MERGE_RATE_PERSON = (5, 3600)
MERGE_RATE_IP = (20, 3600)
# Opening merge links, per client address, in ten minutes.
MERGE_LINK_RATE_IP = (30, 600)


class MergeRefused(ContractError):
    """The two adminboxes cannot be merged; the message says why and what to
    do. ``code``: ``wrong_person`` (the link was asked for from another
    adminbox), ``national_numbers_differ``, ``identity_elsewhere`` (only the
    other adminbox is bound to a national number), ``staff``, ``gone``
    (the other adminbox no longer exists as such)."""

    code = "merge_refused"


class MergeRateLimited(ContractError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many merge requests", code="rate_limited")
        self.retry_after = retry_after


@dataclass(frozen=True)
class MergePreview:
    """What confirming would move: the other adminbox's address (masked),
    its documents and, among them, its tasks (contracts waiting for a
    signature)."""

    link: AccessLink
    other_email_masked: str
    documents: int
    tasks: int


def email_mask(email: str) -> str:
    return mask_destination(Channel.EMAIL, email)


def _limit(scope: str, key: str, rate: tuple[int, int]) -> None:
    limit, window = rate
    verdict = ratelimit_hit(scope=scope, key=key, limit=limit, window_seconds=window)
    if not verdict.allowed:
        raise MergeRateLimited(verdict.retry_after)


def _language(person: Person) -> str:
    return person.language if person.language in Language.values else settings.LANGUAGE_CODE


def merge_link_url(token: str) -> str:
    return f"{settings.BASE_URL}{reverse('adminbox:merge_link', args=[token])}"


def adminbox_merge_request(*, person: Person, email: str, context: Context = SYSTEM) -> None:
    """``person`` (logged in to their adminbox) says ``email`` is theirs too.

    When ``email`` reaches another person's adminbox, that address receives
    an e-mail explaining the procedure with a confirmation link valid
    :data:`MERGE_LINK_HOURS` hours, once; earlier unused links for the same
    two adminboxes stop working. Whether it does is never told to the
    caller (no account enumeration): the function returns the same way.
    Refuses an invalid address and one of the person's own
    (``ValidationError``), and too many requests per person or client
    address (:class:`MergeRateLimited`)."""
    email = Person.objects.normalize_email((email or "").strip())
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            gettext("Enter an e-mail address like name@example.be."), code="invalid"
        ) from None
    if (
        email.lower() == person.email.lower()
        or RecipientAlias.objects.filter(person=person, email__ciexact=email).exists()
    ):
        raise ValidationError(gettext("This address already leads to this adminbox."), code="own")
    _limit("contracts.merge.person", str(person.pk), MERGE_RATE_PERSON)
    _limit("contracts.merge.ip", context.ip or "unknown", MERGE_RATE_IP)
    other = recipient_find(email=email)
    known = other is not None and other.pk != person.pk and other.is_active and not other.is_staff
    with transaction.atomic():
        if known:
            assert other is not None
            now = timezone.now()
            AccessLink.objects.filter(
                purpose=LinkPurpose.MERGE, person=person, other_person=other, used_at=None
            ).update(expires_at=now)
            token = link_create(
                person=person,
                purpose=LinkPurpose.MERGE,
                contract=None,
                expires_at=now + dt.timedelta(hours=MERGE_LINK_HOURS),
                other_person=other,
            )
            email_send(
                to=email,
                template="adminbox_merge_request",
                context={
                    "name": other.full_name or email,
                    "requester": person.full_name,
                    "requester_email": email_mask(person.email),
                    "url": merge_link_url(token),
                    "hours": MERGE_LINK_HOURS,
                },
                language=_language(other),
                person=other,
                secret=True,  # the link is personal
            )
        audit_record(
            name="contracts.adminbox.merge_requested",
            actor=person,
            subject=person,
            data={"email": email, "other_person": other.pk if known and other else None},
            context=context,
        )


def _refusal(person: Person, other: Person) -> MergeRefused | None:
    if not other.is_active:
        return MergeRefused(
            gettext("The other adminbox was already merged or closed: nothing is left to move."),
            code="gone",
        )
    if other.is_staff:
        return MergeRefused(
            gettext(
                "The other address belongs to a staff account, which cannot be merged. "
                "Please contact the contact centre."
            ),
            code="staff",
        )
    if person.national_number and other.national_number:
        # One national number is one person (it is unique): two differ.
        return MergeRefused(
            gettext(
                "These two adminboxes belong to two different national register numbers, "
                "so they are not the same person's and cannot be merged."
            ),
            code="national_numbers_differ",
        )
    if other.national_number and not person.national_number:
        return MergeRefused(
            gettext(
                "The adminbox of the other address is linked to your identity (your national "
                "register number) and this one is not. Log in to that adminbox instead and "
                "identify this address from its preferences: your documents will be gathered "
                "there."
            ),
            code="identity_elsewhere",
        )
    return None


def _link_for(token: str, person: Person) -> AccessLink:
    link = access_link_resolve(token=token, purpose=LinkPurpose.MERGE)
    if link.person_id != person.pk:
        raise MergeRefused(
            gettext(
                "This link was asked for from another adminbox. Log in to the adminbox from "
                "which you identified this address, then open the link again."
            ),
            code="wrong_person",
        )
    return link


def merge_link_throttle(*, context: Context) -> None:
    """Count one opening of a merge link from the client's address; raises
    :class:`MergeRateLimited` beyond :data:`MERGE_LINK_RATE_IP`."""
    _limit("contracts.merge.link.ip", context.ip or "unknown", MERGE_LINK_RATE_IP)


def _counts(other: Person) -> tuple[int, int]:
    contracts = Contract.objects.filter(recipient=other)
    documents = contracts.exclude(status="created").count()
    tasks = contracts.filter(status__in=SIGNABLE, deadline__gt=timezone.now()).count()
    return documents, tasks


def adminbox_merge_preview(*, token: str, person: Person) -> MergePreview:
    """What confirming the merge link ``token`` would move into ``person``'s
    adminbox. Raises :class:`AccessLinkInvalid` (``unknown``, ``expired``,
    ``used``) or :class:`MergeRefused`; changes nothing."""
    link = _link_for(token, person)
    other = link.other_person
    assert other is not None
    problem = _refusal(person, other)
    if problem is not None:
        raise problem
    documents, tasks = _counts(other)
    return MergePreview(
        link=link, other_email_masked=email_mask(other.email), documents=documents, tasks=tasks
    )


@dataclass(frozen=True)
class MergeResult:
    documents: int
    tasks: int
    aliases: tuple[str, ...]


def adminbox_merge_confirm(*, token: str, person: Person, context: Context = SYSTEM) -> MergeResult:
    """Merge the adminbox the link ``token`` names into ``person``'s, in
    one transaction: every contract of the other person (pending ones
    included: ``person`` may sign them now) moves here, the other person's
    address and aliases become ``person``'s aliases, the other account is
    closed for log-in (its sessions end, its phone number is released),
    the link is used up, both addresses are told, and one audit event
    ``contracts.adminbox.merged`` records both people and the counts.
    Refuses what :func:`adminbox_merge_preview` refuses, and a link used a
    moment before by another request (``used``)."""
    with transaction.atomic():
        link = _link_for(token, person)
        link = AccessLink.objects.select_for_update().get(pk=link.pk)
        if link.used_at is not None:
            raise AccessLinkInvalid("this link was already used", code="used")
        kept = Person.objects.select_for_update().get(pk=person.pk)
        other_id = link.other_person_id
        assert other_id is not None  # a database constraint of merge links
        other = Person.objects.select_for_update().get(pk=other_id)
        problem = _refusal(kept, other)
        if problem is not None:
            raise problem
        now = timezone.now()
        link.used_at = now
        link.use_count += 1
        link.save(update_fields=["used_at", "use_count"])
        documents, tasks = _counts(other)
        # The other box's own links to prove or merge it die with it; its
        # contract links move with the contracts. An activation link keeps
        # the box it was for, so it can say it was merged, not expired.
        AccessLink.objects.filter(person=other, purpose=LinkPurpose.ACTIVATE).update(
            expires_at=now, other_person=other
        )
        AccessLink.objects.filter(person=other, purpose=LinkPurpose.MERGE).update(expires_at=now)
        AccessLink.objects.filter(purpose=LinkPurpose.MERGE, other_person=other).exclude(
            pk=link.pk
        ).update(expires_at=now)
        moved = contracts_move_locked(source=other, target=kept, actor=kept, context=context)
        aliases = list(RecipientAlias.objects.filter(person=other).values_list("email", flat=True))
        RecipientAlias.objects.filter(person=other).update(person=kept)
        if not RecipientAlias.objects.filter(email__ciexact=other.email).exists():
            RecipientAlias.objects.create(person=kept, email=alias_clean(kept, other.email))
        aliases.insert(0, other.email)
        # The other account is closed, not deleted: its address stays taken
        # (it is an alias of this box now) and the evidence keeps naming it.
        old_phone = other.phone
        other.is_active = False
        other.set_unusable_password()
        other.phone = ""
        other.phone_verified_at = None
        other.save(update_fields=["is_active", "password", "phone", "phone_verified_at"])
        Person.objects.filter(pk=other.pk).update(session_epoch=F("session_epoch") + 1)
        audit_record(
            name="contracts.adminbox.merged",
            actor=kept,
            subject=kept,
            data={
                "kept_person": kept.pk,
                "kept_email": kept.email,
                "merged_person": other.pk,
                "merged_email": other.email,
                "merged_phone_released": old_phone,
                "documents": documents,
                "tasks": tasks,
                "contracts": [str(c.public_id) for c in moved],
                "aliases": aliases,
            },
            context=context,
        )
        values = {
            "name": kept.full_name,
            "kept_email": kept.email,
            "merged_email": other.email,
            "documents": documents,
        }
        for address in (kept.email, other.email):
            email_send(
                to=address,
                template="adminbox_merged",
                context=values,
                language=_language(kept),
                person=kept,
            )
    return MergeResult(documents=documents, tasks=tasks, aliases=tuple(aliases))
