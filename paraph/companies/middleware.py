"""For whom a person acts (CO-3, CO-4): themselves or one of their
companies, chosen after log-in and kept in the session. Each request for a
company checks again that the person may still act for it: a user removed
meanwhile has their next request refused."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from paraph.companies import selectors
from paraph.companies.services import CompanyRefused, acting_check

ACTING_SESSION_KEY = "paraph_acting_for"
# Pages where a person lands after log-in: the choice is asked there.
LANDING = ("/", "/adminbox/")


class ActingForMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.acting_for = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/backoffice/"):
            return self.get_response(request)
        acting = request.session.get(ACTING_SESSION_KEY)
        if acting is None and request.method == "GET" and request.path in LANDING:
            choices = selectors.companies_of(person=user)
            request.acting_choices = choices  # type: ignore[attr-defined]
            if choices:
                return redirect(f"{reverse('companies:act')}?next={request.path}")
            # No company: nothing to choose, not asked again in this session.
            request.session[ACTING_SESSION_KEY] = ""
        elif acting:
            try:
                request.acting_for = acting_check(person=user, number=acting)  # type: ignore[attr-defined]
            except CompanyRefused as refusal:
                request.session[ACTING_SESSION_KEY] = ""
                return render(
                    request,
                    "companies/acting_refused.html",
                    {"refusal": refusal.message},
                    status=403,
                )
        return self.get_response(request)


def acting(request: HttpRequest) -> dict[str, object]:
    """Context processor: for whom the person acts, and whom they may choose."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/backoffice/"):
        return {}
    choices = getattr(request, "acting_choices", None)
    if choices is None:
        choices = selectors.companies_of(person=user)
    return {
        "acting_for": getattr(request, "acting_for", None),
        "acting_choices": choices,
    }
