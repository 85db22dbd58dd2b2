"""Reads about registrations and identities that views and services share."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.http import HttpRequest

from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod
from paraph.identity.methods import method_enabled
from paraph.identity.models import RegistrationAttempt, RegistrationState
from paraph.identity.services.common import (
    IDENTITY_AUTH_SESSION_KEY,
    REGISTRATION_SESSION_KEY,
    STEP_UP_MAX_AGE_SECONDS,
    registered_with_identity,
)


def registration_attempt_current(request: HttpRequest) -> RegistrationAttempt | None:
    """The registration in progress in this browser session, if any (and
    not expired, finished or cancelled)."""
    raw = request.session.get(REGISTRATION_SESSION_KEY)
    if not raw:
        return None
    try:
        pk = uuid.UUID(str(raw))
    except ValueError:
        return None
    attempt = RegistrationAttempt.objects.select_related("customer").filter(pk=pk).first()
    if attempt is None or attempt.state in (RegistrationState.DONE, RegistrationState.CANCELLED):
        return None
    if attempt.is_expired() and attempt.state != RegistrationState.BLOCKED:
        return None
    return attempt


def identity_session(request: HttpRequest) -> dict[str, Any] | None:
    """How the logged-in person proved who they are in this session, when
    it was with an identity provider: ``{"method", "assurance", "at"}``."""
    data = request.session.get(IDENTITY_AUTH_SESSION_KEY)
    user = request.user
    if not isinstance(data, dict) or not user.is_authenticated or data.get("person") != user.pk:
        return None
    return data


def identity_session_is_high(request: HttpRequest) -> bool:
    """Whether the logged-in person proved who they are at the high level
    (itsme, eID) in this session, recently enough for a sensitive change."""
    data = identity_session(request)
    return bool(
        data
        and data.get("assurance") == AssuranceLevel.HIGH
        and time.time() - float(data.get("at", 0)) <= STEP_UP_MAX_AGE_SECONDS
    )


class EidSigning(StrEnum):
    """Whether a person can sign with the eID card, and if not, what would
    let them: the card is matched by the national register number, which
    only a registration with itsme or the card itself gives."""

    READY = "ready"  # the account has a national register number
    REGISTER = "register"  # none yet: registering with the card gives it
    UNAVAILABLE = "unavailable"  # none, and no way here (a foreign identity)


@dataclass(frozen=True)
class EidSigningSituation:
    state: EidSigning
    # Registered with a foreign identity document (IDnow): said as the reason.
    foreign_document: bool = False

    @property
    def ready(self) -> bool:
        return self.state == EidSigning.READY

    @property
    def register(self) -> bool:
        return self.state == EidSigning.REGISTER


def person_eid_signing(*, person: Person) -> EidSigningSituation:
    """Whether ``person`` can sign with the eID card (issue 14). A person
    sent a contract without a national number (an adminbox opened from the
    e-mail, or created by the contact centre without one) registers with
    the card once: the registration completes her account with the number,
    and the card then signs. A person registered with a foreign identity
    document (IDnow) has no Belgian number to match a card with."""
    if person.national_number:
        return EidSigningSituation(EidSigning.READY)
    if not registered_with_identity(person) and method_enabled("eid"):
        return EidSigningSituation(EidSigning.REGISTER)
    return EidSigningSituation(
        EidSigning.UNAVAILABLE,
        foreign_document=person.registration_method == RegistrationMethod.IDNOW,
    )
