"""The back office's page of outgoing work (/backoffice/outgoing/): every
e-mail, SMS and webhook delivery in one list with its status, attempts,
last error and next attempt, filtered by status and kind, and a "requeue"
for what was given up or is stuck, for the Operators role (ADR 25, ADR 31).
Each requeue is one call of the kind's own service, audited there."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from paraph.core.context import Context
from paraph.core.outbox import Requeue
from paraph.notifications.services import message_requeue
from paraph.operations.selectors import (
    KINDS,
    MESSAGE,
    STATES,
    WEBHOOK,
    outgoing_counts,
    outgoing_list,
)
from paraph.senders.services import webhook_delivery_requeue

PAGE_SIZE = 50
_VIEW = {MESSAGE: "notifications.view_outboundmessage", WEBHOOK: "senders.view_webhookdelivery"}
_REQUEUE = {
    MESSAGE: "notifications.requeue_outboundmessage",
    WEBHOOK: "senders.requeue_webhookdelivery",
}
_SERVICES = {
    MESSAGE: lambda pk, context: message_requeue(message_id=pk, context=context),
    WEBHOOK: lambda pk, context: webhook_delivery_requeue(delivery_id=pk, context=context),
}


def _allowed(request: HttpRequest, permissions: dict[str, str]) -> set[str]:
    return {source for source, perm in permissions.items() if request.user.has_perm(perm)}


def _report(request: HttpRequest, outcomes: Counter[str]) -> None:
    """Tell the operator what a requeue did, one line per outcome."""
    for outcome, count in sorted(outcomes.items()):
        level = messages.SUCCESS if outcome in (Requeue.REQUEUED, Requeue.WOKEN) else messages.INFO
        if outcome == Requeue.REFUSED:
            level = messages.WARNING
        messages.add_message(request, level, f"{Requeue(outcome).label}: {count}")


def _requeue(request: HttpRequest, may_requeue: set[str]) -> None:
    """Requeue the rows the form names (``one``: a row's own button;
    ``row``: the ticked ones); a row of a kind the operator may not
    requeue refuses the whole request."""
    keys = [request.POST["one"]] if request.POST.get("one") else request.POST.getlist("row")
    wanted: list[tuple[str, int]] = []
    for key in keys:
        source, _sep, pk = key.partition(":")
        if source not in _SERVICES or not pk.isdigit():
            continue
        if source not in may_requeue:
            raise PermissionDenied
        wanted.append((source, int(pk)))
    if not wanted:
        messages.info(request, _("Nothing was selected."))
        return
    context = Context.from_request(request)
    _report(request, Counter(_SERVICES[source](pk, context) for source, pk in wanted))


@require_http_methods(["GET", "POST"])
def outgoing(request: HttpRequest) -> HttpResponse:
    may_view = _allowed(request, _VIEW)
    if not may_view:
        raise PermissionDenied
    may_requeue = _allowed(request, _REQUEUE) & may_view
    if request.method == "POST":
        if not may_requeue:
            raise PermissionDenied
        _requeue(request, may_requeue)
        # Back to the list as it was filtered.
        return HttpResponseRedirect(request.get_full_path())

    state = request.GET.get("status", "")
    state = state if state in STATES else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    before = parse_datetime(request.GET.get("before", "")) if request.GET.get("before") else None
    rows = outgoing_list(
        state=state,
        kind=kind,
        before=before,
        messages=MESSAGE in may_view,
        webhooks=WEBHOOK in may_view,
        limit=PAGE_SIZE,
    )
    counts = outgoing_counts(messages=MESSAGE in may_view, webhooks=WEBHOOK in may_view)

    def link(**changes: str) -> str:
        query = {"status": state, "kind": kind, **changes}
        return "?" + urlencode({k: v for k, v in query.items() if v})

    older = ""
    if len(rows) == PAGE_SIZE:
        older = link(before=rows[-1].created_at.astimezone(dt.UTC).isoformat())
    site = admin.site
    return render(
        request,
        "operations/outgoing.html",
        {
            **site.each_context(request),
            "title": _("Outgoing messages and webhooks"),
            "rows": rows,
            "states": [
                (key, label, counts[key], key == state, link(status=key))
                for key, label in STATES.items()
            ],
            "all_states": (sum(counts.values()), not state, link(status="")),
            "kinds": [
                (key, label, key == kind, link(kind=key))
                for key, label in KINDS.items()
                if (WEBHOOK if key == WEBHOOK else MESSAGE) in may_view
            ],
            "all_kinds": (not kind, link(kind="")),
            "may_requeue": may_requeue,
            "older": older,
            "newest": link() if before else "",
        },
    )
