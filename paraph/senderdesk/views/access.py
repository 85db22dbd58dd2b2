"""Who may use the sender back office: the sender chosen for the session, the
decorator every page takes (membership, admin role), the navigation and
the page context they share, and the page that chooses a sender."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from paraph.senders.models import SenderMembership

SESSION_SENDER = "paraph_sender_id"
CONTRACTS_PER_PAGE = 25
DELIVERIES_PER_PAGE = 25

View = Callable[..., HttpResponseBase]


# --- Who may use the back office ---------------------------------------------------


def sender_memberships(request: HttpRequest) -> list[SenderMembership]:
    return list(
        SenderMembership.objects.filter(person_id=request.user.pk or 0, sender__is_active=True)
        .select_related("sender")
        .order_by("sender__name")
    )


def sender_required(*, admin: bool = False) -> Callable[[View], View]:
    """The view runs with ``request.membership`` (and ``request.sender``):
    the sender chosen in this session among the person's memberships.
    Without a membership: a page saying so (403); ``admin`` views refuse
    staff members (403)."""

    def decorate(view: View) -> View:
        @login_required
        @never_cache
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            memberships = sender_memberships(request)
            if not memberships:
                return render(request, "senders/no_access.html", status=403)
            chosen = request.session.get(SESSION_SENDER)
            membership = next((m for m in memberships if m.sender_id == chosen), None)
            if membership is None:
                if len(memberships) > 1:
                    return redirect(f"{reverse('senders:choose')}?next={request.path}")
                membership = memberships[0]
                request.session[SESSION_SENDER] = membership.sender_id
            if admin and not membership.is_admin:
                return render(
                    request,
                    "senders/no_access.html",
                    {"membership": membership, "admin_only": True},
                    status=403,
                )
            request.membership = membership  # type: ignore[attr-defined]
            request.sender = membership.sender  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def sender_nav(request: HttpRequest) -> str:
    """Which entry of the back office's menu the page belongs to."""
    name = request.resolver_match.url_name if request.resolver_match else ""
    for prefix, entry in (
        ("contract_new", "new"),
        ("contract", "contracts"),
        ("home", "contracts"),
        ("bulk", "bulk"),
        ("key", "keys"),
        ("webhook", "webhooks"),
    ):
        if (name or "").startswith(prefix):
            return entry
    return ""


def page_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "membership": request.membership,  # type: ignore[attr-defined]
        "sender": request.sender,  # type: ignore[attr-defined]
        "nav": sender_nav(request),
        **extra,
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest) -> HttpResponse:
    """Pick which sender to work for, for a person in several."""
    memberships = sender_memberships(request)
    if not memberships:
        return render(request, "senders/no_access.html", status=403)
    if request.method == "POST":
        try:
            chosen = int(request.POST.get("sender", ""))
        except ValueError:
            chosen = 0
        if any(m.sender_id == chosen for m in memberships):
            request.session[SESSION_SENDER] = chosen
            next_url = request.POST.get("next", "")
            if not next_url.startswith("/sender/"):
                next_url = reverse("senders:home")
            return redirect(next_url)
    return render(
        request,
        "senders/choose.html",
        {"memberships": memberships, "next": request.GET.get("next", "")},
    )
