"""The session side of identity's flows, for views: which registration this
browser is following, and how the person proved who they are. Services
prove, decide and record; the view then writes the session here (ADR 37),
as ``accounts.sessions`` does for the SMS log-in."""

from __future__ import annotations

import time

from django.http import HttpRequest

from paraph.accounts.models import Person
from paraph.accounts.sessions import session_open
from paraph.identity.models import RegistrationAttempt
from paraph.identity.services import (
    IDENTITY_AUTH_SESSION_KEY,
    REGISTRATION_SESSION_KEY,
    RegistrationOutcome,
    RegistrationStep,
)


def attempt_bind(request: HttpRequest, attempt: RegistrationAttempt) -> None:
    """This browser follows ``attempt`` (read back by
    ``identity.selectors.registration_attempt_current``)."""
    request.session[REGISTRATION_SESSION_KEY] = str(attempt.pk)


def attempt_unbind(request: HttpRequest) -> None:
    request.session.pop(REGISTRATION_SESSION_KEY, None)


def attempt_follow(request: HttpRequest, step: RegistrationStep) -> None:
    """After the claims arrived: the browser follows the registration,
    unless the person turned out to be registered already (nothing to
    follow: she logs in instead). Refused claims change nothing."""
    if step.outcome == RegistrationOutcome.REFUSED:
        return
    if step.outcome == RegistrationOutcome.ALREADY_REGISTERED or step.attempt is None:
        attempt_unbind(request)
    else:
        attempt_bind(request, step.attempt)


def identity_proof_note(
    request: HttpRequest, person: Person, *, method: str, assurance: str
) -> None:
    """Note in the session that ``person`` proved who they are with
    ``method`` just now (LG-3 reads it for a step-up's age)."""
    request.session[IDENTITY_AUTH_SESSION_KEY] = {
        "person": person.pk,
        "method": method,
        "assurance": assurance,
        "at": int(time.time()),
    }


def identity_session_open(
    request: HttpRequest, person: Person, *, method: str, assurance: str
) -> None:
    """``person`` logged in with an identity provider (the service recorded
    it): a new session, and how she proved who she is."""
    session_open(request, person)
    identity_proof_note(request, person, method=method, assurance=assurance)
