"""What the adminbox's pages share: the logged-in person, and where the
activation in progress is kept."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from paraph.accounts.models import Person

# The activation in progress: the person, the links that brought them, the
# contract to open afterwards, the phone and the code attempt. Kept in the
# session, so the code only works in the browser that followed the link;
# the link's token itself is never kept.
ACTIVATION_KEY = "paraph_adminbox_activation"


def person_of(request: HttpRequest) -> Person:
    person = request.user
    assert isinstance(person, Person)
    return person


# --- Links from the e-mail --------------------------------------------------


def link_refused(request: HttpRequest, code: str, *, purpose: str) -> HttpResponse:
    """Each refusal in its own words: an unknown, expired or used link, or
    an adminbox that is already active."""
    status = {"unknown": 404, "expired": 410, "used": 410, "active": 410, "merged": 410}.get(
        code, 404
    )
    return render(
        request,
        "adminbox/link_refused.html",
        {"code": code, "purpose": purpose, "link_days": settings.CONTRACT_LINK_DAYS},
        status=status,
    )
