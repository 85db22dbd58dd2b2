"""What identity's services share: the flows' settings, their refusals, the
provider's claims kept as JSON, whether a person is registered, and the
record of a log-in with a provider. The session side lives in
``identity.sessions``, for views (ADR 37)."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from paraph.accounts.models import (
    AssuranceLevel,
    Person,
)
from paraph.audit.services import audit_record
from paraph.core.belgium import national_number_normalize
from paraph.core.context import Context
from paraph.identity.models import (
    IdentityMethod,
)
from paraph.identity.providers import Address, IdentityClaims

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
ASSURANCE_RANK = {
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


def claims_name_only(claims: dict[str, Any]) -> dict[str, Any]:
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


def claims_national_number(claims: IdentityClaims) -> str:
    if not claims.national_number:
        return ""
    try:
        return national_number_normalize(claims.national_number)
    except ValidationError:
        return ""


def person_is_registered(person: Person) -> bool:
    """Whether ``person`` registered with a proven identity (itsme, eID,
    IDnow; or the demo data): such a person does not register again."""
    return registered_with_identity(person)


def registered_with_identity(person: Person) -> bool:
    """Registered through a proven identity (or the demo data), so that
    log-in is possible (LG-1) and a second registration is refused."""
    return (
        person.registered_at is not None
        and ASSURANCE_RANK.get(AssuranceLevel(person.assurance_level), 0)
        >= ASSURANCE_RANK[AssuranceLevel.SUBSTANTIAL]
    )


# --- The log-in's record ------------------------------------------------------


def identity_login_record(*, person: Person, method: str, context: Context) -> None:
    """``person`` logged in with an identity provider: the audit event.
    The view then opens the session (``identity.sessions``)."""
    audit_record(
        name="accounts.login.succeeded",
        actor=person,
        subject=person,
        data={"method": method},
        context=context,
    )


def attempt_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=REGISTRATION_TTL_SECONDS)
