"""Registration (RG-1 to RG-10): an attempt started with a provider, the
claims it proved received, and the account made or completed at the end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import (
    AssuranceLevel,
    Person,
    RegistrationMethod,
)
from paraph.audit.services import audit_record
from paraph.core.context import Context
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity.models import (
    CustomerRecord,
    IdentityLink,
    IdentityMethod,
    MatchKind,
    RegistrationAttempt,
    RegistrationState,
)
from paraph.identity.providers import IdentityClaims
from paraph.identity.services.common import (
    ASSURANCE_RANK,
    BLOCK_SECONDS,
    MATCH_MAX_TRIES,
    METHOD_ASSURANCE,
    REGISTRATIONS_PER_IP,
    REGISTRATIONS_WINDOW_SECONDS,
    RegistrationConflict,
    RegistrationRateLimited,
    attempt_expiry,
    claims_from_json,
    claims_name_only,
    claims_national_number,
    claims_to_json,
    identity_login_record,
    registered_with_identity,
)
from paraph.identity.services.login import eid_certificate_store
from paraph.identity.services.matching import attempt_locked

# --- Registration: start and claims -----------------------------------------


class RegistrationOutcome(StrEnum):
    MATCH_NEEDED = "match_needed"
    PHONE = "phone"
    ALREADY_REGISTERED = "already_registered"
    BLOCKED = "blocked"
    REFUSED = "refused"


@dataclass(frozen=True)
class RegistrationStep:
    outcome: RegistrationOutcome
    attempt: RegistrationAttempt | None = None
    message: str = ""


_NEXT_PAGE = {
    RegistrationOutcome.MATCH_NEEDED: "identity:register_match",
    RegistrationOutcome.PHONE: "identity:register_phone",
    RegistrationOutcome.ALREADY_REGISTERED: "identity:register_already",
    RegistrationOutcome.BLOCKED: "identity:register_blocked",
    RegistrationOutcome.REFUSED: "identity:register",
}


def registration_next_url(step: RegistrationStep) -> str:
    """The page where the person continues after ``step``."""
    return reverse(_NEXT_PAGE[step.outcome])


def registration_start(*, method: str, context: Context) -> RegistrationAttempt:
    """Open a registration for ``method`` (before the provider starts; the
    view binds it to the browser's session). Refuses with
    :class:`RegistrationRateLimited` when this IP address started too many."""
    method = IdentityMethod(method)
    limit = ratelimit_hit(
        scope="identity.register.ip",
        key=context.ip or "unknown",
        limit=REGISTRATIONS_PER_IP,
        window_seconds=REGISTRATIONS_WINDOW_SECONDS,
    )
    if not limit.allowed:
        raise RegistrationRateLimited(limit.retry_after)
    # A person logged in to an adminbox opened from a contract's e-mail
    # (no proven identity yet) registers to complete that account: it keeps
    # her documents and gains the national number the eID card needs.
    user = context.actor
    completing = (
        user
        if isinstance(user, Person) and user.is_authenticated and not registered_with_identity(user)
        else None
    )
    with transaction.atomic():
        attempt = RegistrationAttempt.objects.create(
            method=method,
            state=RegistrationState.IDENTIFYING,
            language=context.language or settings.LANGUAGE_CODE,
            expires_at=attempt_expiry(),
            person=completing,
        )
        audit_record(
            name="identity.registration.started",
            subject=completing,
            data={"attempt": str(attempt.pk), "method": method},
            context=context,
        )
    if attempt.pk.int % 50 == 0:
        registration_attempt_prune()
    return attempt


def _attempt_for_claims(
    claims: IdentityClaims, candidates: tuple[RegistrationAttempt | None, ...], language: str
) -> RegistrationAttempt:
    """The first candidate still waiting for these claims, else a new one.
    A finished, blocked or cancelled registration is never reopened."""
    for attempt in candidates:
        if (
            attempt is not None
            and attempt.state == RegistrationState.IDENTIFYING
            and attempt.method == claims.method
        ):
            return attempt
    return RegistrationAttempt.objects.create(
        method=claims.method,
        language=language or settings.LANGUAGE_CODE,
        expires_at=attempt_expiry(),
    )


def _blocked_recently(*, method: str, subject: str, national_number: str) -> bool:
    since = timezone.now() - dt.timedelta(seconds=BLOCK_SECONDS)
    blocked = RegistrationAttempt.objects.filter(
        state=RegistrationState.BLOCKED, updated_at__gte=since
    )
    if national_number and blocked.filter(national_number=national_number).exists():
        return True
    return bool(subject) and blocked.filter(method=method, subject=subject).exists()


def _recent_match_tries(*, method: str, subject: str, national_number: str) -> int:
    """The failed matching tries of the same identity's attempts of the
    last ``BLOCK_SECONDS`` (cancelled or abandoned): the most of them."""
    since = timezone.now() - dt.timedelta(seconds=BLOCK_SECONDS)
    same = Q(method=method, subject=subject) if subject else Q(pk__in=[])
    if national_number:
        same |= Q(national_number=national_number)
    tries = (
        RegistrationAttempt.objects.filter(same, updated_at__gte=since)
        .exclude(state=RegistrationState.DONE)
        .aggregate(most=Max("match_tries"))["most"]
    )
    return min(int(tries or 0), MATCH_MAX_TRIES - 1)


def registration_claims_received(
    *,
    claims: IdentityClaims,
    context: Context,
    attempt: RegistrationAttempt | None = None,
    session_attempt: RegistrationAttempt | None = None,
) -> RegistrationStep:
    """A provider proved who the person is: record the claims in the
    registration, refuse a second registration, and match the customer
    file by national number (RG-2).

    The claims go to ``attempt`` (the one the provider was started for,
    IDnow's), else to the one the browser follows (``session_attempt``),
    else to a new one; the view then follows the step's attempt
    (``identity.sessions.attempt_follow``).

    Refuses (``refused``) claims of an unknown method or below the level
    the method gives; answers ``already_registered`` when the national
    number or the provider identity belongs to a registered person
    (nothing is created), ``blocked`` when the same identity failed the
    matching recently, ``phone`` when exactly one customer record carries
    the national number, and ``match_needed`` otherwise.
    """
    if claims.method not in IdentityMethod.values:
        return RegistrationStep(RegistrationOutcome.REFUSED, message="unknown method")
    expected = METHOD_ASSURANCE[IdentityMethod(claims.method)]
    if claims.assurance not in (AssuranceLevel.HIGH, AssuranceLevel.SUBSTANTIAL) or (
        ASSURANCE_RANK[AssuranceLevel(claims.assurance)] > ASSURANCE_RANK[expected]
    ):
        return RegistrationStep(RegistrationOutcome.REFUSED, message="assurance")
    nn = claims_national_number(claims)
    registered = None
    if nn:
        registered = Person.objects.filter(national_number=nn).first()
    if registered is None and claims.subject:
        link = (
            IdentityLink.objects.select_related("person")
            .filter(method=claims.method, subject=claims.subject)
            .first()
        )
        registered = link.person if link else None
    with transaction.atomic():
        attempt = _attempt_for_claims(claims, (attempt, session_attempt), context.language)
        attempt = RegistrationAttempt.objects.select_for_update().get(pk=attempt.pk)
        attempt.claims = claims_to_json(claims)
        attempt.subject = claims.subject
        attempt.national_number = nn
        attempt.assurance = claims.assurance
        attempt.expires_at = attempt_expiry()
        outcome: RegistrationOutcome
        data: dict[str, Any] = {"attempt": str(attempt.pk), "method": claims.method}
        if registered is not None and registered_with_identity(registered):
            attempt.state = RegistrationState.CANCELLED
            attempt.person = registered
            attempt.claims = {}
            outcome = RegistrationOutcome.ALREADY_REGISTERED
            name = "identity.registration.already_registered"
        elif _blocked_recently(method=claims.method, subject=claims.subject, national_number=nn):
            attempt.state = RegistrationState.BLOCKED
            attempt.claims = claims_name_only(attempt.claims)
            outcome = RegistrationOutcome.BLOCKED
            name = "identity.registration.blocked"
            data["reason"] = "blocked_recently"
        else:
            # A person known without a proven identity (created by the
            # contact centre, say, or logged in to an adminbox opened from a
            # contract's e-mail) is completed rather than duplicated.
            attempt.person = registered or attempt.person
            records = list(CustomerRecord.objects.filter(national_number=nn)[:2]) if nn else []
            if len(records) == 1 and records[0].person_id in (None, attempt.person_id):
                attempt.customer = records[0]
                attempt.match_kind = MatchKind.NATIONAL_NUMBER
                attempt.state = RegistrationState.PHONE
                outcome = RegistrationOutcome.PHONE
                name = "identity.registration.matched"
                data.update(match=MatchKind.NATIONAL_NUMBER, customer=records[0].external_id)
            else:
                attempt.state = RegistrationState.MATCHING
                # Starting again does not give new tries (RG-5): the failed
                # ones of the same identity's recent attempts still count.
                attempt.match_tries = _recent_match_tries(
                    method=claims.method, subject=claims.subject, national_number=nn
                )
                outcome = RegistrationOutcome.MATCH_NEEDED
                name = "identity.registration.identified"
                data["national_number_records"] = len(records)
        attempt.save()
        audit_record(name=name, subject=attempt.person, data=data, context=context)
    return RegistrationStep(outcome, attempt)


# --- Registration: the account ----------------------------------------------


def _target_person(attempt: RegistrationAttempt) -> Person | None:
    """The person the registration completes, if one exists: the one known
    by the national number, the e-mail address or the phone. Refuses with
    :class:`RegistrationConflict` when they are different people."""
    found: dict[int, Person] = {}
    queries = []
    if attempt.person_id:
        # The person who started the registration logged in (or the one the
        # national number named): hers is the account completed.
        queries.append(Person.objects.filter(pk=attempt.person_id))
    if attempt.national_number:
        queries.append(Person.objects.filter(national_number=attempt.national_number))
    queries.append(Person.objects.filter(email__ciexact=attempt.email))
    queries.append(Person.objects.filter(phone=attempt.phone))
    for query in queries:
        for candidate in query.select_for_update():
            found[candidate.pk] = candidate
    if len(found) > 1:
        raise RegistrationConflict(
            gettext(
                "Your national register number, e-mail address and phone number belong to "
                "different accounts. Call the contact centre: they will sort it out with you."
            )
        )
    person = next(iter(found.values()), None)
    if person is not None and (
        registered_with_identity(person)
        or (
            person.national_number
            and attempt.national_number
            and person.national_number != attempt.national_number
        )
    ):
        raise RegistrationConflict(
            gettext(
                "This e-mail address or phone number belongs to another person's account. "
                "Call the contact centre."
            )
        )
    return person


def _link_bind(*, person: Person, method: str, subject: str) -> IdentityLink | None:
    if not subject:
        return None
    link, created = IdentityLink.objects.get_or_create(
        method=method, subject=subject, defaults={"person": person, "last_used_at": timezone.now()}
    )
    if not created and link.person_id != person.pk:
        raise RegistrationConflict(
            gettext("This identity is already linked to another account. Call the contact centre.")
        )
    return link


def registration_complete(*, attempt: RegistrationAttempt, context: Context) -> Person:
    """Create the account (or complete the person the contact centre or an
    adminbox activation created) from a registration whose phone and
    e-mail are verified: names, national number, language, assurance
    (itsme and eID: high; IDnow: substantial), registration method and
    time, the RG-7 consent only if it was ticked, the identity link and,
    for the eID card, its certificate; the customer record is linked.
    Then the person's log-in is recorded; the view opens the session
    (``identity.sessions.identity_session_open``) and stops following the
    attempt.

    Refuses with :class:`RegistrationConflict` when the details belong to
    different accounts or to someone already registered, and with
    ``ValueError`` when the registration is not ready."""
    now = timezone.now()
    with transaction.atomic():
        locked = attempt_locked(attempt, RegistrationState.EMAIL)
        if locked is None or not (locked.phone_verified_at and locked.email_verified_at):
            raise ValueError("the registration is not ready to complete")
        claims = claims_from_json(locked.claims)
        target = _target_person(locked)
        fields: dict[str, Any] = {
            "first_name": claims.given_name[:150],
            "last_name": claims.family_name[:150],
            "email": locked.email,
            "email_verified_at": locked.email_verified_at,
            "phone": locked.phone,
            "phone_verified_at": locked.phone_verified_at,
            "language": locked.language or settings.LANGUAGE_CODE,
            "assurance_level": claims.assurance,
            "registration_method": RegistrationMethod(locked.method),
            "registered_at": now,
        }
        if locked.national_number:
            fields["national_number"] = locked.national_number
        if locked.phone_consent:
            fields["consent_phone_other_uses"] = True
            fields["consent_phone_other_uses_at"] = now
        try:
            with transaction.atomic():
                if target is None:
                    person = Person.objects.create_user(fields.pop("email"), **fields)
                    completed = False
                else:
                    person = target
                    for name, value in fields.items():
                        setattr(person, name, value)
                    person.save(update_fields=list(fields))
                    completed = True
                _link_bind(person=person, method=locked.method, subject=claims.subject)
                certificate = None
                if claims.certificate_der:
                    certificate = eid_certificate_store(
                        person=person, certificate_der=claims.certificate_der
                    )[0]
        except IntegrityError as exc:
            # Someone took the address or the number in the meantime.
            raise RegistrationConflict(
                gettext(
                    "Your e-mail address or phone number was just registered by another "
                    "account. Start again, or call the contact centre."
                )
            ) from exc
        if locked.customer is not None:
            CustomerRecord.objects.filter(pk=locked.customer.pk).update(person=person)
        locked.state = RegistrationState.DONE
        locked.person = person
        # The claims now live in the account; the attempt keeps no copy.
        locked.claims = {}
        locked.save()
        audit_record(
            name=f"identity.{locked.method}.registered",
            actor=person,
            subject=person,
            data={
                "attempt": str(locked.pk),
                "match": locked.match_kind,
                "customer": locked.customer.external_id if locked.customer else None,
                "no_customer_record": locked.match_kind == MatchKind.NEW_CUSTOMER,
                "completed_existing": completed,
                "assurance": claims.assurance,
                "consent_phone_other_uses": locked.phone_consent,
                "certificate": certificate.fingerprint if certificate else None,
                "sandbox": claims.sandbox,
            },
            context=context,
        )
        identity_login_record(person=person, method=locked.method, context=context)
    return person


def registration_attempt_prune() -> int:
    """Delete registrations that ended or expired a week ago (their claims
    are personal data with no further use); blocked ones are kept for
    ``BLOCK_SECONDS`` at least, since they keep the identity blocked."""
    horizon = timezone.now() - dt.timedelta(days=7)
    deleted, _by_model = (
        RegistrationAttempt.objects.filter(expires_at__lt=horizon)
        .exclude(updated_at__gte=timezone.now() - dt.timedelta(seconds=BLOCK_SECONDS))
        .delete()
    )
    return deleted
