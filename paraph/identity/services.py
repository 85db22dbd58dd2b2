"""Registration, log-in with an identity provider, and regaining access.

Entry points for the provider modules (itsme, eID, IDnow)
==========================================================

A provider never renders the end of a flow itself. Its ``start`` sends
the person away (or shows the card page); the callback of every provider
is **one view, ``identity:complete``** (``/identity/<method>/complete/``,
GET or POST with Django's CSRF token), which calls the provider's
``complete(request)`` and hands the :class:`IdentityClaims` to the flow
that started it (registration, log-in, step-up, new phone): the purpose
is kept in the session by the view that called ``start``. So the normal
provider needs nothing from this module; build the redirect URI with
``reverse("identity:complete", args=[method])`` (also named
``identity:itsme_callback`` and ``identity:eid_authenticate``). A request
with a JSON body or ``Accept: application/json`` (the eID page's script)
is answered ``{"redirect": url}``, ``{"error": message}`` (400) or
``{"pending": true, "redirect": url}``; any other with a redirect or a
page. ``IdentityPending`` keeps the flow for another try;
``IdentityError.message`` is shown to the person.

For providers that need more:

``registration_claims_received(*, request, claims, attempt=None) -> RegistrationStep``
    What ``identity:complete`` calls for a registration; no HTTP
    response, only a result: ``step.outcome`` (``match_needed``,
    ``phone``, ``already_registered``, ``blocked``, ``refused``) and
    ``step.attempt``; ``registration_next_url(step)`` is the page to send
    the person to. ``attempt`` is for a provider that resumes a
    registration outside the browser session that started it (IDnow's
    result arriving later): the attempt is then bound to this session.

``registration_attempt_current(request)`` (in ``selectors``)
    The registration in progress in this session (state ``identifying``
    while the provider works), e.g. to link an ``IdnowIdentification``.

``identity_login(*, request, claims, purpose="login") -> IdentityLoginResult``
    Log a registered person in with claims (itsme ``sub`` re-bound when
    it changed, a new eID card's certificate recorded: LG-5).

``eid_certificate_record(*, person, certificate_der, request) -> EidCertificate``
    Record an eID authentication certificate for a person whose national
    number it carries (a new card: LG-5), audited; a known one only has
    its ``last_seen_at`` moved.

What registration guarantees
============================

- The customer file is matched by national number; when that fails or is
  ambiguous the person confirms their home address or types a client
  reference (RG-2, RG-4). An address or a reference matches only a record
  whose surname is the proven one (and whose national number and birth
  date, when both sides know them, agree): knowing someone's address or
  reference is not enough to take their file. After
  ``MATCH_MAX_TRIES`` failures the attempt is blocked and the person is
  sent to the contact centre (RG-5); a new attempt with the same identity
  stays blocked for ``BLOCK_SECONDS``.
- A person not in the customer file at all (an employer's new temporary
  worker) registers without a record when the provider proved their
  identity at the *high* level (itsme, eID); "no customer record" is
  recorded. At the substantial level (IDnow) the contact centre links
  them instead.
- The phone number is verified by SMS code, the e-mail address by e-mail
  code; an address or number that belongs to another person is refused
  (RG-3). The consent to use the phone for more than log-in codes (RG-7)
  is stored only when ticked.
- A national number (or provider identity) already registered is never
  registered twice: the person is told and offered log-in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from paraph.accounts.middleware import SESSION_STARTED_KEY
from paraph.accounts.models import (
    AssuranceLevel,
    CodeChannel,
    CodePurpose,
    Person,
    RegistrationMethod,
)
from paraph.accounts.services import (
    CodeCheck,
    CodeOutcome,
    CodeResend,
    code_issue,
    code_proves,
    code_resend,
    code_verify,
    person_contact_set,
)
from paraph.audit.services import audit_record
from paraph.core.belgium import national_number_normalize, phone_mask
from paraph.core.context import Context
from paraph.core.http import client_ip
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity.matching import (
    address_keys,
    foreign_address_matches,
    name_normalize,
    reference_normalize,
    same_municipality,
)
from paraph.identity.models import (
    ClientReference,
    CustomerRecord,
    EidCertificate,
    IdentityLink,
    IdentityMethod,
    MatchKind,
    RegistrationAttempt,
    RegistrationState,
)
from paraph.identity.providers import Address, IdentityClaims
from paraph.notifications.addresses import mask_destination
from paraph.notifications.models import SmsPurpose
from paraph.notifications.services import email_send, sms_send

# --- Settings of the flows (constants: none needs to differ per site) ------

MATCH_MAX_TRIES = 3
BLOCK_SECONDS = 24 * 3600
REGISTRATION_TTL_SECONDS = 30 * 60
REGISTRATIONS_PER_IP = 20
REGISTRATIONS_WINDOW_SECONDS = 3600
# A session counts as "logged in with high assurance" (LG-3) this long
# after the itsme or eID log-in that made it so.
STEP_UP_MAX_AGE_SECONDS = 15 * 60
# LG-4: after the itsme/eID log-in, the new number must be bound within this.
NEW_PHONE_MAX_AGE_SECONDS = 15 * 60

REGISTRATION_SESSION_KEY = "paraph_registration"
IDENTITY_AUTH_SESSION_KEY = "paraph_identity_auth"

# The assurance each method may claim (a provider claiming more is refused).
METHOD_ASSURANCE = {
    IdentityMethod.ITSME: AssuranceLevel.HIGH,
    IdentityMethod.EID: AssuranceLevel.HIGH,
    IdentityMethod.IDNOW: AssuranceLevel.SUBSTANTIAL,
}
_ASSURANCE_RANK = {
    AssuranceLevel.NONE: 0,
    AssuranceLevel.LOW: 1,
    AssuranceLevel.SUBSTANTIAL: 2,
    AssuranceLevel.HIGH: 3,
}


class RegistrationRateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many registrations; retry in {retry_after} s")
        self.retry_after = retry_after


class RegistrationConflict(Exception):
    """The registration cannot finish on its own (the person's details
    belong to different accounts); ``message`` is for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Claims as JSON ---------------------------------------------------------


def claims_to_json(claims: IdentityClaims) -> dict[str, Any]:
    """The claims in a form a JSON field keeps (dates as ISO, the
    certificate in base64)."""
    data = asdict(claims)
    data["birth_date"] = claims.birth_date.isoformat() if claims.birth_date else None
    data["certificate_der"] = (
        base64.b64encode(claims.certificate_der).decode() if claims.certificate_der else None
    )
    return data


def _name_only(claims: dict[str, Any]) -> dict[str, Any]:
    """What a blocked attempt keeps of its claims: the name, for the
    contact centre's list; nothing else."""
    return {key: claims[key] for key in ("given_name", "family_name") if claims.get(key)}


def claims_from_json(data: dict[str, Any]) -> IdentityClaims:
    values = dict(data)
    if values.get("birth_date"):
        values["birth_date"] = dt.date.fromisoformat(values["birth_date"])
    if values.get("certificate_der"):
        values["certificate_der"] = base64.b64decode(values["certificate_der"])
    if values.get("address"):
        values["address"] = Address(**values["address"])
    values["document"] = dict(values.get("document") or {})
    return IdentityClaims(**values)


def _claims_national_number(claims: IdentityClaims) -> str:
    if not claims.national_number:
        return ""
    try:
        return national_number_normalize(claims.national_number)
    except ValidationError:
        return ""


def person_is_registered(person: Person) -> bool:
    """Whether ``person`` registered with a proven identity (itsme, eID,
    IDnow; or the demo data): such a person does not register again."""
    return _is_registered(person)


def _is_registered(person: Person) -> bool:
    """Registered through a proven identity (or the demo data), so that
    log-in is possible (LG-1) and a second registration is refused."""
    return (
        person.registered_at is not None
        and _ASSURANCE_RANK.get(AssuranceLevel(person.assurance_level), 0)
        >= _ASSURANCE_RANK[AssuranceLevel.SUBSTANTIAL]
    )


# --- Session helpers (the attempt and the identity log-in live there) -------


def _attempt_bind(request: HttpRequest, attempt: RegistrationAttempt) -> None:
    request.session[REGISTRATION_SESSION_KEY] = str(attempt.pk)


def _attempt_unbind(request: HttpRequest) -> None:
    request.session.pop(REGISTRATION_SESSION_KEY, None)


def _identity_session_login(
    *, request: HttpRequest, person: Person, method: str, assurance: str
) -> None:
    """Log ``person`` in and note in the session how (LG-3 reads it)."""
    auth_login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    now = int(time.time())
    request.session[SESSION_STARTED_KEY] = now
    request.session[IDENTITY_AUTH_SESSION_KEY] = {
        "person": person.pk,
        "method": method,
        "assurance": assurance,
        "at": now,
    }
    audit_record(
        name="accounts.login.succeeded",
        actor=person,
        subject=person,
        data={"method": method},
        context=Context.from_request(request),
    )


def _expires() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=REGISTRATION_TTL_SECONDS)


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


def registration_start(*, request: HttpRequest, method: str) -> RegistrationAttempt:
    """Open a registration for ``method`` in this session (before the
    provider starts). Refuses with :class:`RegistrationRateLimited` when
    this IP address started too many."""
    method = IdentityMethod(method)
    limit = ratelimit_hit(
        scope="identity.register.ip",
        key=client_ip(request) or "unknown",
        limit=REGISTRATIONS_PER_IP,
        window_seconds=REGISTRATIONS_WINDOW_SECONDS,
    )
    if not limit.allowed:
        raise RegistrationRateLimited(limit.retry_after)
    # A person logged in to an adminbox opened from a contract's e-mail
    # (no proven identity yet) registers to complete that account: it keeps
    # her documents and gains the national number the eID card needs.
    user = getattr(request, "user", None)
    completing = (
        user
        if isinstance(user, Person) and user.is_authenticated and not _is_registered(user)
        else None
    )
    with transaction.atomic():
        attempt = RegistrationAttempt.objects.create(
            method=method,
            state=RegistrationState.IDENTIFYING,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            expires_at=_expires(),
            person=completing,
        )
        audit_record(
            name="identity.registration.started",
            subject=completing,
            data={"attempt": str(attempt.pk), "method": method},
            context=Context.from_request(request),
        )
    _attempt_bind(request, attempt)
    if attempt.pk.int % 50 == 0:
        registration_attempt_prune()
    return attempt


def _attempt_for_claims(
    request: HttpRequest, claims: IdentityClaims, attempt: RegistrationAttempt | None
) -> RegistrationAttempt:
    if attempt is not None and (
        attempt.state != RegistrationState.IDENTIFYING or attempt.method != claims.method
    ):
        # A finished, blocked or cancelled registration is never reopened.
        attempt = None
    if attempt is None:
        from paraph.identity.selectors import registration_attempt_current

        current = registration_attempt_current(request)
        if (
            current is not None
            and current.state == RegistrationState.IDENTIFYING
            and current.method == claims.method
        ):
            attempt = current
    if attempt is None:
        attempt = RegistrationAttempt.objects.create(
            method=claims.method,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            expires_at=_expires(),
        )
    return attempt


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
    request: HttpRequest,
    claims: IdentityClaims,
    attempt: RegistrationAttempt | None = None,
) -> RegistrationStep:
    """A provider proved who the person is: record the claims in the
    registration, refuse a second registration, and match the customer
    file by national number (RG-2).

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
        _ASSURANCE_RANK[AssuranceLevel(claims.assurance)] > _ASSURANCE_RANK[expected]
    ):
        return RegistrationStep(RegistrationOutcome.REFUSED, message="assurance")
    nn = _claims_national_number(claims)
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
        attempt = _attempt_for_claims(request, claims, attempt)
        attempt = RegistrationAttempt.objects.select_for_update().get(pk=attempt.pk)
        attempt.claims = claims_to_json(claims)
        attempt.subject = claims.subject
        attempt.national_number = nn
        attempt.assurance = claims.assurance
        attempt.expires_at = _expires()
        outcome: RegistrationOutcome
        data: dict[str, Any] = {"attempt": str(attempt.pk), "method": claims.method}
        if registered is not None and _is_registered(registered):
            attempt.state = RegistrationState.CANCELLED
            attempt.person = registered
            attempt.claims = {}
            outcome = RegistrationOutcome.ALREADY_REGISTERED
            name = "identity.registration.already_registered"
        elif _blocked_recently(method=claims.method, subject=claims.subject, national_number=nn):
            attempt.state = RegistrationState.BLOCKED
            attempt.claims = _name_only(attempt.claims)
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
        audit_record(
            name=name, subject=attempt.person, data=data, context=Context.from_request(request)
        )
    if outcome == RegistrationOutcome.ALREADY_REGISTERED:
        _attempt_unbind(request)
    else:
        _attempt_bind(request, attempt)
    return RegistrationStep(outcome, attempt)


# --- Registration: matching the customer file (RG-2, RG-4, RG-5) ------------


class MatchOutcome(StrEnum):
    MATCHED = "matched"
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    BLOCKED = "blocked"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class MatchResult:
    outcome: MatchOutcome
    tries_left: int = 0


def _record_fits(record: CustomerRecord, attempt: RegistrationAttempt) -> bool:
    """Whether ``record`` can be the proven person's (see the module's
    docstring: the surname must agree, and so must the national number
    and the birth date when both sides know them)."""
    claims = attempt.claims
    if name_normalize(record.last_name) != name_normalize(claims.get("family_name", "")):
        return False
    if (
        record.national_number
        and attempt.national_number
        and record.national_number != attempt.national_number
    ):
        return False
    birth = claims.get("birth_date")
    if record.birth_date and birth and record.birth_date.isoformat() != birth:
        return False
    return record.person_id in (None, attempt.person_id)


def _narrow(records: list[CustomerRecord], attempt: RegistrationAttempt) -> list[CustomerRecord]:
    """Several records at one address with the same surname (a family):
    the given name decides."""
    if len(records) < 2:
        return records
    given = name_normalize(attempt.claims.get("given_name", ""))
    same = [r for r in records if name_normalize(r.first_name) == given]
    return same or records


def _match_finish(
    *,
    attempt: RegistrationAttempt,
    candidates: list[CustomerRecord],
    kind: MatchKind,
    context: Context,
) -> MatchResult:
    candidates = _narrow([r for r in candidates if _record_fits(r, attempt)], attempt)
    data: dict[str, Any] = {"attempt": str(attempt.pk), "match": kind}
    if len(candidates) == 1:
        attempt.customer = candidates[0]
        attempt.match_kind = kind
        attempt.state = RegistrationState.PHONE
        attempt.expires_at = _expires()
        attempt.save()
        data["customer"] = candidates[0].external_id
        audit_record(
            name="identity.registration.matched",
            subject=attempt.person,
            data=data,
            context=context,
        )
        return MatchResult(MatchOutcome.MATCHED, MATCH_MAX_TRIES - attempt.match_tries)
    if len(candidates) > 1:
        # Not the person's mistake: the file cannot tell two records apart.
        data["candidates"] = len(candidates)
        audit_record(
            name="identity.registration.match_failed",
            subject=attempt.person,
            data={**data, "ambiguous": True},
            context=context,
        )
        return MatchResult(MatchOutcome.AMBIGUOUS, MATCH_MAX_TRIES - attempt.match_tries)
    attempt.match_tries += 1
    data["tries"] = attempt.match_tries
    if attempt.match_tries >= MATCH_MAX_TRIES:
        attempt.state = RegistrationState.BLOCKED
        # The method, identity, national number and name stay: they keep the
        # identity blocked and let the contact centre find the attempt (and
        # know who calls).
        attempt.claims = _name_only(attempt.claims)
        attempt.save()
        audit_record(
            name="identity.registration.blocked",
            subject=attempt.person,
            data=data,
            context=context,
        )
        return MatchResult(MatchOutcome.BLOCKED, 0)
    attempt.save()
    audit_record(
        name="identity.registration.match_failed",
        subject=attempt.person,
        data=data,
        context=context,
    )
    return MatchResult(MatchOutcome.NO_MATCH, MATCH_MAX_TRIES - attempt.match_tries)


def _attempt_locked(attempt: RegistrationAttempt, *states: str) -> RegistrationAttempt | None:
    locked = RegistrationAttempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.state not in states or locked.is_expired():
        return None
    return locked


def registration_match_address(
    *,
    attempt: RegistrationAttempt,
    street: str,
    house_number: str,
    box: str,
    postal_code: str,
    municipality: str,
    context: Context,
) -> MatchResult:
    """Match the customer file by the home address the person confirms
    (street, number, box, postcode, municipality in French, Dutch or
    German, compared after normalisation, see ``identity.matching``). An
    address with no street or number after normalisation matches nothing.
    A failure costs one of ``MATCH_MAX_TRIES`` tries; the last one blocks
    the attempt (RG-5)."""
    keys = address_keys(postal_code=postal_code, street=street, house_number=house_number, box=box)
    with transaction.atomic():
        locked = _attempt_locked(attempt, RegistrationState.MATCHING)
        if locked is None:
            return MatchResult(MatchOutcome.NOT_ALLOWED)
        candidates = [
            r
            for r in CustomerRecord.objects.filter(address_key__in=keys, country="BE")
            if same_municipality(r.municipality, municipality, postal_code=r.postal_code)
        ]
        return _match_finish(
            attempt=locked, candidates=candidates, kind=MatchKind.ADDRESS, context=context
        )


def registration_match_foreign_address(
    *,
    attempt: RegistrationAttempt,
    country: str,
    lines: str,
    postal_code: str,
    town: str,
    context: Context,
) -> MatchResult:
    """Match the customer file by a home address outside Belgium (a person
    registering with IDnow, most often): the records of ``country`` whose
    postcode, town and street, number and box agree with what was typed
    (``matching.foreign_address_matches``). Costs a try like
    :func:`registration_match_address`."""
    country = (country or "").upper()
    with transaction.atomic():
        locked = _attempt_locked(attempt, RegistrationState.MATCHING)
        if locked is None:
            return MatchResult(MatchOutcome.NOT_ALLOWED)
        candidates = [
            r
            for r in CustomerRecord.objects.filter(country=country).exclude(country="BE")
            if foreign_address_matches(
                record_street=r.street,
                record_number=r.house_number,
                record_box=r.box,
                record_postal_code=r.postal_code,
                record_town=r.municipality,
                country=country,
                lines=lines,
                postal_code=postal_code,
                town=town,
            )
        ]
        return _match_finish(
            attempt=locked, candidates=candidates, kind=MatchKind.ADDRESS, context=context
        )


def registration_match_reference(
    *, attempt: RegistrationAttempt, reference: str, context: Context
) -> MatchResult:
    """Match the customer file by a client reference typed with or without
    its separators (RG-4). Raises ``ValueError`` (with a message for the
    person, costing no try) for something that is not a reference."""
    digits = reference_normalize(reference)
    with transaction.atomic():
        locked = _attempt_locked(attempt, RegistrationState.MATCHING)
        if locked is None:
            return MatchResult(MatchOutcome.NOT_ALLOWED)
        candidates = [
            ref.customer
            for ref in ClientReference.objects.select_related("customer").filter(digits=digits)
        ]
        return _match_finish(
            attempt=locked, candidates=candidates, kind=MatchKind.REFERENCE, context=context
        )


def registration_new_customer_allowed(attempt: RegistrationAttempt) -> bool:
    return attempt.assurance == AssuranceLevel.HIGH


def registration_new_customer(*, attempt: RegistrationAttempt, context: Context) -> MatchResult:
    """The person is not in the customer file yet (a new temporary worker):
    go on without a record, "no customer record" noted. Only after a
    high-assurance identity (itsme, eID); otherwise ``not_allowed``."""
    with transaction.atomic():
        locked = _attempt_locked(attempt, RegistrationState.MATCHING)
        if locked is None or not registration_new_customer_allowed(locked):
            return MatchResult(MatchOutcome.NOT_ALLOWED)
        locked.customer = None
        locked.match_kind = MatchKind.NEW_CUSTOMER
        locked.state = RegistrationState.PHONE
        locked.expires_at = _expires()
        locked.save()
        audit_record(
            name="identity.registration.matched",
            subject=locked.person,
            data={"attempt": str(locked.pk), "match": MatchKind.NEW_CUSTOMER, "customer": None},
            context=context,
        )
    return MatchResult(MatchOutcome.MATCHED, MATCH_MAX_TRIES - locked.match_tries)


def registration_cancel(*, request: HttpRequest, attempt: RegistrationAttempt) -> None:
    """The person gives up; the claims are forgotten."""
    with transaction.atomic():
        locked = RegistrationAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state in (RegistrationState.DONE, RegistrationState.CANCELLED):
            _attempt_unbind(request)
            return
        locked.state = RegistrationState.CANCELLED
        locked.claims = {}
        locked.save(update_fields=["state", "claims", "updated_at"])
        audit_record(
            name="identity.registration.cancelled",
            data={"attempt": str(locked.pk)},
            context=Context.from_request(request),
        )
    _attempt_unbind(request)


# --- Registration: phone (RG-7) and e-mail (RG-3) ---------------------------


def _taken_by_other(person: Person | None, attempt: RegistrationAttempt) -> bool:
    """Whether ``person`` (the owner of a phone or an address) is someone
    else than the one registering: registered, or known by another
    national number. An unregistered record without a national number
    (an adminbox opened from a contract e-mail) is completed instead."""
    if person is None or person.pk == attempt.person_id:
        return False
    if _is_registered(person):
        return True
    return bool(person.national_number) and person.national_number != attempt.national_number


def _phone_taken_error() -> ValidationError:
    return ValidationError(
        {
            "phone": ValidationError(
                gettext(
                    "This mobile number is already used by another account: every account "
                    "needs its own number. Give another number, or call the contact centre."
                ),
                code="taken",
            )
        }
    )


def _email_taken_error() -> ValidationError:
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
        raise _phone_taken_error()
    with transaction.atomic():
        locked = _attempt_locked(attempt, RegistrationState.PHONE, RegistrationState.EMAIL)
        if locked is None:
            raise ValueError("the registration is not at the phone step")
        locked.phone = phone
        locked.phone_consent = bool(consent)
        locked.phone_verified_at = None
        locked.state = RegistrationState.PHONE
        locked.expires_at = _expires()
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
        locked = _attempt_locked(attempt, RegistrationState.PHONE)
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
            locked.expires_at = _expires()
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
    owner = Person.objects.filter(email__iexact=email).first()
    if _taken_by_other(owner, attempt):
        raise _email_taken_error()
    with transaction.atomic():
        locked = _attempt_locked(attempt, RegistrationState.EMAIL)
        if locked is None:
            raise ValueError("the registration is not at the e-mail step")
        locked.email = email
        locked.email_verified_at = None
        locked.expires_at = _expires()
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
        locked = _attempt_locked(attempt, RegistrationState.EMAIL)
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
    queries.append(Person.objects.filter(email__iexact=attempt.email))
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
        _is_registered(person)
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


def registration_complete(*, attempt: RegistrationAttempt, request: HttpRequest) -> Person:
    """Create the account (or complete the person the contact centre or an
    adminbox activation created) from a registration whose phone and
    e-mail are verified: names, national number, language, assurance
    (itsme and eID: high; IDnow: substantial), registration method and
    time, the RG-7 consent only if it was ticked, the identity link and,
    for the eID card, its certificate; the customer record is linked.
    Then the person is logged in.

    Refuses with :class:`RegistrationConflict` when the details belong to
    different accounts or to someone already registered, and with
    ``ValueError`` when the registration is not ready."""
    now = timezone.now()
    with transaction.atomic():
        locked = _attempt_locked(attempt, RegistrationState.EMAIL)
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
                    certificate = _eid_certificate_store(
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
            context=Context.from_request(request),
        )
        _identity_session_login(
            request=request, person=person, method=locked.method, assurance=claims.assurance
        )
    _attempt_unbind(request)
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


# --- Log-in with an identity provider; the eID card's certificates (LG-5) ----


class IdentityLoginOutcome(StrEnum):
    OK = "ok"
    NOT_REGISTERED = "not_registered"
    INACTIVE = "inactive"
    CONFLICT = "conflict"
    CONTACT_CENTRE = "contact_centre"


@dataclass(frozen=True)
class IdentityLoginResult:
    outcome: IdentityLoginOutcome
    person: Person | None = None


def _certificate_facts(certificate_der: bytes) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(certificate_der)
    serial = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return {
        "fingerprint": hashlib.sha256(certificate_der).hexdigest(),
        "serial_number": format(cert.serial_number, "x"),
        "issuer": cert.issuer.rfc4514_string()[:300],
        "subject": cert.subject.rfc4514_string()[:300],
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
        "national_number": str(serial[0].value) if serial else "",
    }


def _eid_certificate_store(
    *, person: Person, certificate_der: bytes
) -> tuple[EidCertificate, bool]:
    facts = _certificate_facts(certificate_der)
    now = timezone.now()
    existing = EidCertificate.objects.select_for_update().filter(fingerprint=facts["fingerprint"])
    certificate = existing.first()
    if certificate is not None:
        if certificate.person_id != person.pk:
            raise RegistrationConflict(
                gettext("This eID card is linked to another account. Call the contact centre.")
            )
        certificate.last_seen_at = now
        certificate.save(update_fields=["last_seen_at"])
        return certificate, False
    certificate = EidCertificate.objects.create(
        person=person,
        fingerprint=facts["fingerprint"],
        serial_number=facts["serial_number"],
        issuer=facts["issuer"],
        subject=facts["subject"],
        not_before=facts["not_before"],
        not_after=facts["not_after"],
        certificate_der=certificate_der,
        first_seen_at=now,
        last_seen_at=now,
    )
    return certificate, True


def eid_certificate_record(
    *, person: Person, certificate_der: bytes, context: Context
) -> EidCertificate:
    """Record the eID authentication certificate ``certificate_der`` (DER)
    for ``person``, next to the ones already known (LG-5: a new card).
    The certificate must have been validated already (chain, OCSP: the
    Web eID validator's job); this only refuses, with ``ValueError``, one
    whose subject's national number is not the person's, and, with
    :class:`RegistrationConflict`, one recorded for another person. A
    known certificate only has its ``last_seen_at`` moved (no audit)."""
    facts = _certificate_facts(certificate_der)
    if not person.national_number or facts["national_number"] != person.national_number:
        raise ValueError("the certificate's national number is not the person's")
    with transaction.atomic():
        certificate, created = _eid_certificate_store(
            person=person, certificate_der=certificate_der
        )
        if created:
            audit_record(
                name="identity.eid.certificate_recorded",
                actor=person,
                subject=person,
                data={
                    "fingerprint": certificate.fingerprint,
                    "serial_number": certificate.serial_number,
                    "issuer": certificate.issuer,
                    "not_after": certificate.not_after.isoformat(),
                    "known_certificates": EidCertificate.objects.filter(person=person).count(),
                },
                context=context,
            )
    return certificate


def _identity_person(claims: IdentityClaims) -> tuple[Person | None, IdentityLink | None]:
    link = (
        IdentityLink.objects.select_related("person")
        .filter(method=claims.method, subject=claims.subject)
        .first()
        if claims.subject
        else None
    )
    if link is not None:
        return link.person, link
    nn = _claims_national_number(claims)
    if nn:
        return Person.objects.filter(national_number=nn).first(), None
    return None, None


def _link_rebind(
    *, person: Person, claims: IdentityClaims, context: Context
) -> IdentityLink | None:
    """A registered person logs in with an identity not yet linked: their
    itsme ``sub`` changed (itsme account re-created: the link is moved) or
    a new eID card (a link is added, the old card's stays)."""
    if not claims.subject:
        return None
    now = timezone.now()
    old = None
    if claims.method == IdentityMethod.ITSME:
        old = (
            IdentityLink.objects.select_for_update()
            .filter(person=person, method=claims.method)
            .order_by("-created_at")
            .first()
        )
    if old is not None:
        previous = old.subject
        old.subject = claims.subject
        old.last_used_at = now
        old.save(update_fields=["subject", "last_used_at"])
        link = old
        data = {
            "method": claims.method,
            "old": previous[:12] + "…",
            "new": claims.subject[:12] + "…",
        }
    else:
        link = IdentityLink.objects.create(
            person=person, method=claims.method, subject=claims.subject, last_used_at=now
        )
        data = {"method": claims.method, "new": claims.subject[:12] + "…"}
    audit_record(
        name="identity.link.rebound",
        actor=person,
        subject=person,
        data=data,
        context=context,
    )
    return link


def identity_login(
    *, request: HttpRequest, claims: IdentityClaims, purpose: str = "login"
) -> IdentityLoginResult:
    """Log in the registered person the claims name: by the provider
    identity already linked, or else by the national number (the itsme
    ``sub`` changes when an itsme account is re-created; a new eID card
    has a new certificate: the link is re-bound and, for the card, the
    certificate recorded next to the old one, LG-5).

    Answers ``not_registered`` when nobody registered matches (LG-1),
    ``inactive`` for a closed account, ``conflict`` when the linked person
    has another national number than the claims. With ``purpose``
    ``"new_phone"`` (LG-4), a person who registered below the high level
    (IDnow) is sent to the contact centre (``contact_centre``) instead of
    being logged in. A lock-out from wrong SMS codes does not stop this
    log-in: the provider is a stronger proof than the code.
    """
    person, link = _identity_person(claims)
    nn = _claims_national_number(claims)
    if person is None or not _is_registered(person):
        return IdentityLoginResult(IdentityLoginOutcome.NOT_REGISTERED)
    if nn and person.national_number and person.national_number != nn:
        return IdentityLoginResult(IdentityLoginOutcome.CONFLICT)
    if not person.is_active:
        return IdentityLoginResult(IdentityLoginOutcome.INACTIVE)
    if purpose == "new_phone" and person.assurance_level != AssuranceLevel.HIGH:
        return IdentityLoginResult(IdentityLoginOutcome.CONTACT_CENTRE, person)
    try:
        with transaction.atomic():
            if link is None:
                _link_rebind(person=person, claims=claims, context=Context.from_request(request))
            else:
                IdentityLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
            if claims.certificate_der:
                eid_certificate_record(
                    person=person,
                    certificate_der=claims.certificate_der,
                    context=Context.from_request(request),
                )
            _identity_session_login(
                request=request, person=person, method=claims.method, assurance=claims.assurance
            )
    except (ValueError, RegistrationConflict):
        return IdentityLoginResult(IdentityLoginOutcome.CONFLICT)
    return IdentityLoginResult(IdentityLoginOutcome.OK, person)


def identity_step_up(*, request: HttpRequest, claims: IdentityClaims) -> bool:
    """The logged-in person proves again, with itsme or the eID card, that
    it is them (LG-3 needs it to change the e-mail address): true when the
    claims are high and carry the person's national number (or linked
    identity); the session then says so."""
    person = request.user
    if not isinstance(person, Person) or claims.assurance != AssuranceLevel.HIGH:
        return False
    found, _link = _identity_person(claims)
    if found is None or found.pk != person.pk:
        return False
    with transaction.atomic():
        if claims.certificate_der:
            try:
                eid_certificate_record(
                    person=person,
                    certificate_der=claims.certificate_der,
                    context=Context.from_request(request),
                )
            except (ValueError, RegistrationConflict):
                return False
        request.session[IDENTITY_AUTH_SESSION_KEY] = {
            "person": person.pk,
            "method": claims.method,
            "assurance": claims.assurance,
            "at": int(time.time()),
        }
        audit_record(
            name="identity.stepup.succeeded",
            actor=person,
            subject=person,
            data={"method": claims.method},
            context=Context.from_request(request),
        )
    return True


# --- Regaining access: a new phone (LG-4), a new e-mail address (LG-3) -------


def new_phone_code_send(*, person: Person, phone: str, context: Context) -> str:
    """Send a verification code to the person's new mobile number; returns
    the attempt token. Refuses, with a ``ValidationError`` on ``phone``,
    the current number and a number of another person."""
    if phone == person.phone:
        raise ValidationError(
            {
                "phone": ValidationError(
                    gettext("This already is the number on your account."), code="unchanged"
                )
            }
        )
    if Person.objects.filter(phone=phone).exclude(pk=person.pk).exists():
        raise _phone_taken_error()
    _code, token = code_issue(
        purpose=CodePurpose.PHONE_VERIFY,
        channel=CodeChannel.SMS,
        destination=phone,
        person=person,
        language=person.language,
        context=context,
        audit_name="accounts.code.sent",
    )
    return token


def person_phone_rebind(
    *,
    person: Person,
    new_phone: str,
    binding_token: str,
    value: str,
    method: str,
    context: Context,
) -> CodeCheck:
    """LG-4: bind the new mobile number whose SMS code the person typed,
    after they logged in with itsme or the eID card (``method``). The old
    number (by SMS) and the e-mail address are told; a log-in lock-out is
    lifted (the person just proved who they are). Returns the code check;
    only ``ok`` changed anything."""
    with transaction.atomic():
        check = code_verify(
            binding_token=binding_token,
            purpose=CodePurpose.PHONE_VERIFY,
            value=value,
            context=context,
        )
        if check.outcome != CodeOutcome.OK:
            return check
        if not code_proves(check, channel=CodeChannel.SMS, destination=new_phone, person=person):
            return CodeCheck(CodeOutcome.UNKNOWN, 0)
        locked, old = person_contact_set(
            person=person,
            kind="phone",
            value=new_phone,
            actor=None,
            taken=_phone_taken_error(),
            audit_data={"by": "self", "method": method},
            unlock=True,
            context=context,
        )
        values = {
            "name": locked.get_full_name(),
            "old": phone_mask(old) if old else "",
            "new": phone_mask(new_phone),
            "method": method,
        }
        if old:
            # A security notice about the log-in phone itself, not another
            # use of the number (RG-7): the old phone no longer gets codes.
            sms_send(
                to=old,
                template="identity_phone_changed",
                context=values,
                language=locked.language,
                purpose=SmsPurpose.NOTIFICATION,
            )
        email_send(
            to=locked.email,
            template="identity_phone_changed",
            context=values,
            language=locked.language,
            person=locked,
        )
    return check


def email_change_code_send(*, person: Person, new_email: str, context: Context) -> str:
    """Send a verification code to the new address (LG-3); returns the
    attempt token. Refuses, with a ``ValidationError`` on ``email``, the
    current address and an address of another person (RG-3)."""
    new_email = Person.objects.normalize_email(new_email.strip())
    if new_email.lower() == person.email.lower():
        raise ValidationError(
            {
                "email": ValidationError(
                    gettext("This already is the address on your account."), code="unchanged"
                )
            }
        )
    if Person.objects.filter(email__iexact=new_email).exclude(pk=person.pk).exists():
        raise _email_taken_error()
    _code, token = code_issue(
        purpose=CodePurpose.EMAIL_VERIFY,
        channel=CodeChannel.EMAIL,
        destination=new_email,
        person=person,
        language=person.language,
        context=context,
    )
    return token


def person_email_change_self(
    *,
    person: Person,
    new_email: str,
    binding_token: str,
    value: str,
    context: Context,
) -> CodeCheck:
    """LG-3 without the contact centre: a person logged in with high
    assurance changes their e-mail address, proven by the code sent to
    it. The old and the new address are told. Returns the code check; only
    ``ok`` changed anything."""
    new_email = Person.objects.normalize_email(new_email.strip())
    with transaction.atomic():
        check = code_verify(
            binding_token=binding_token,
            purpose=CodePurpose.EMAIL_VERIFY,
            value=value,
            context=context,
        )
        if check.outcome != CodeOutcome.OK:
            return check
        if not code_proves(check, channel=CodeChannel.EMAIL, destination=new_email, person=person):
            return CodeCheck(CodeOutcome.UNKNOWN, 0)
        locked, old = person_contact_set(
            person=person,
            kind="email",
            value=new_email,
            actor=None,
            taken=_email_taken_error(),
            audit_data={"by": "self"},
            context=context,
        )
        for to in (old, new_email):
            email_send(
                to=to,
                template="identity_email_changed",
                context={
                    "name": locked.get_full_name(),
                    "old": mask_destination(CodeChannel.EMAIL, old),
                    "new": mask_destination(CodeChannel.EMAIL, new_email),
                    "to_old_address": to == old,
                },
                language=locked.language,
                person=locked,
            )
    return check


# --- The customer file ------------------------------------------------------


@dataclass
class CustomerData:
    """One customer as the import reads it (already validated)."""

    external_id: str
    last_name: str
    first_name: str = ""
    national_number: str = ""
    birth_date: dt.date | None = None
    street: str = ""
    house_number: str = ""
    box: str = ""
    postal_code: str = ""
    municipality: str = ""
    country: str = "BE"
    references: tuple[str, ...] = ()


_CUSTOMER_FIELDS = (
    "last_name",
    "first_name",
    "national_number",
    "birth_date",
    "street",
    "house_number",
    "box",
    "postal_code",
    "municipality",
    "country",
)


def customer_record_upsert(*, data: CustomerData) -> tuple[CustomerRecord, str]:
    """Create or update one customer and set its client references to
    exactly ``data.references``; returns the record and ``"created"``,
    ``"updated"`` or ``"unchanged"``. Refuses, with ``ValueError``, a
    reference that belongs to another customer. Records no audit event:
    the caller (the import, the demo data) records one for the batch."""
    digits = {reference_normalize(ref): ref for ref in data.references}
    clash = (
        ClientReference.objects.filter(digits__in=list(digits))
        .exclude(customer__external_id=data.external_id)
        .select_related("customer")
        .first()
    )
    if clash is not None:
        raise ValueError(
            f"client reference {clash.reference} belongs to customer {clash.customer.external_id}"
        )
    with transaction.atomic():
        record = (
            CustomerRecord.objects.select_for_update().filter(external_id=data.external_id).first()
        )
        outcome = "unchanged"
        if record is None:
            record = CustomerRecord(external_id=data.external_id)
            outcome = "created"
        changed = [f for f in _CUSTOMER_FIELDS if getattr(record, f) != getattr(data, f)]
        for name in changed:
            setattr(record, name, getattr(data, name))
        if outcome == "created" or changed:
            record.save()
            outcome = outcome if outcome == "created" else "updated"
        existing = {ref.digits: ref for ref in record.references.all()}
        for gone in set(existing) - set(digits):
            existing[gone].delete()
            outcome = "updated" if outcome == "unchanged" else outcome
        for new in set(digits) - set(existing):
            ClientReference.objects.create(customer=record, reference=digits[new])
            outcome = "updated" if outcome == "unchanged" else outcome
    return record, outcome


def customers_import_record(
    *, counts: dict[str, int], rejected: list[str], source: str, actor: Person | None = None
) -> None:
    """One audit event for one import of the customer file."""
    with transaction.atomic():
        audit_record(
            name="identity.customers.imported",
            actor=actor,
            actor_label="" if actor else "paraph import-customers",
            data={"source": source[:200], **counts, "rejected_lines": rejected[:100]},
        )
