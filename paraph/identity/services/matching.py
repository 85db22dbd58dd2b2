"""Registration matched to the customer file (RG-2, RG-4, RG-5): by
address (Belgian or abroad), by reference, or as a new customer; a few
wrong tries block the identity for a day."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction

from paraph.accounts.models import (
    AssuranceLevel,
)
from paraph.audit.services import audit_record
from paraph.core.context import Context
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
    MatchKind,
    RegistrationAttempt,
    RegistrationState,
)
from paraph.identity.services.common import (
    MATCH_MAX_TRIES,
    attempt_expiry,
    claims_name_only,
)

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
        attempt.expires_at = attempt_expiry()
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
        attempt.claims = claims_name_only(attempt.claims)
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


def attempt_locked(attempt: RegistrationAttempt, *states: str) -> RegistrationAttempt | None:
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
        locked = attempt_locked(attempt, RegistrationState.MATCHING)
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
        locked = attempt_locked(attempt, RegistrationState.MATCHING)
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
        locked = attempt_locked(attempt, RegistrationState.MATCHING)
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
        locked = attempt_locked(attempt, RegistrationState.MATCHING)
        if locked is None or not registration_new_customer_allowed(locked):
            return MatchResult(MatchOutcome.NOT_ALLOWED)
        locked.customer = None
        locked.match_kind = MatchKind.NEW_CUSTOMER
        locked.state = RegistrationState.PHONE
        locked.expires_at = attempt_expiry()
        locked.save()
        audit_record(
            name="identity.registration.matched",
            subject=locked.person,
            data={"attempt": str(locked.pk), "match": MatchKind.NEW_CUSTOMER, "customer": None},
            context=context,
        )
    return MatchResult(MatchOutcome.MATCHED, MATCH_MAX_TRIES - locked.match_tries)


def registration_cancel(*, attempt: RegistrationAttempt, context: Context) -> None:
    """The person gives up; the claims are forgotten (the view then stops
    following the attempt)."""
    with transaction.atomic():
        locked = RegistrationAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state in (RegistrationState.DONE, RegistrationState.CANCELLED):
            return
        locked.state = RegistrationState.CANCELLED
        locked.claims = {}
        locked.save(update_fields=["state", "claims", "updated_at"])
        audit_record(
            name="identity.registration.cancelled",
            data={"attempt": str(locked.pk)},
            context=context,
        )
