"""The session side of logging in and out, for views: a service proves and
records the log-in (``accounts.services.login``), then the view opens the
session here. Services never touch the request (ADR 37)."""

from __future__ import annotations

import time

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest

from paraph.accounts.middleware import SESSION_STARTED_KEY
from paraph.accounts.models import Person
from paraph.accounts.services.login import STAFF_VERIFIED_SESSION_KEY


def session_open(request: HttpRequest, person: Person, *, staff: bool = False) -> None:
    """``person`` logged in on this browser: a new session key (so a session
    id planted before the log-in is worthless after it), the moment the
    session started (for its time-outs) and, after the back office's second
    factor, the mark that both factors were given."""
    auth_login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_STARTED_KEY] = int(time.time())
    if staff:
        request.session[STAFF_VERIFIED_SESSION_KEY] = person.pk


def session_end(request: HttpRequest) -> None:
    """This browser's session ended (its data flushed)."""
    auth_logout(request)
