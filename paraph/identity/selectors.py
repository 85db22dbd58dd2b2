"""Reads about registrations and identities that views and services share."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.http import HttpRequest

from paraph.accounts.models import AssuranceLevel, Person
from paraph.identity.models import IdentityLink, RegistrationAttempt, RegistrationState
from paraph.identity.services import (
    IDENTITY_AUTH_SESSION_KEY,
    REGISTRATION_SESSION_KEY,
    STEP_UP_MAX_AGE_SECONDS,
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


def person_identity_methods(*, person: Person) -> list[str]:
    """The providers a person has proven their identity with."""
    methods = set(IdentityLink.objects.filter(person=person).values_list("method", flat=True))
    if person.registration_method:
        methods.add(person.registration_method)
    return sorted(methods)
