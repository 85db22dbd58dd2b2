"""The public “interested? contact us” page (ES-14): a ticket for the sales
team, rate-limited per client address."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from paraph.core.context import Context
from paraph.senderdesk.forms import (
    SalesContactForm,
)
from paraph.support.services import TicketRateLimited, ticket_create

# --- "Interested? Contact us" (ES-14) ---------------------------------------------------------


def _rate_limited_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "You have sent several messages in a short time. Please try again in %(minutes)d minute.",
        "You have sent several messages in a short time. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


SESSION_SALES_TICKET = "paraph_sales_ticket"


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    """For organisations interested in sending contracts with Paraph: the
    request reaches the sales queue of the support tickets."""
    status = 200
    person = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        form = SalesContactForm(request.POST)
        if form.honeypot_filled():
            request.session.pop(SESSION_SALES_TICKET, None)
            return redirect("senders:contact_sent")
        if form.is_valid():
            data = form.cleaned_data
            lines = [
                f"Organisation: {data['organisation']}",
                f"Enterprise number: {data['enterprise_number'] or '-'}",
                f"Phone: {data['phone'] or '-'}",
                f"Contracts a month: {data['volume'] or '-'}",
                "",
                data["message"],
            ]
            try:
                ticket = ticket_create(
                    topic="sales",
                    name=data["name"],
                    email=data["email"],
                    reference=data["enterprise_number"] or data["organisation"][:50],
                    message="\n".join(lines),
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    person=person,
                    context=Context.from_request(request),
                )
            except TicketRateLimited as exc:
                form.add_error(None, _rate_limited_message(exc.retry_after))
                status = 429
            else:
                request.session[SESSION_SALES_TICKET] = ticket.number
                return redirect("senders:contact_sent")
        else:
            status = 422
    else:
        form = SalesContactForm()
    return render(request, "senders/contact.html", {"form": form}, status=status)


@require_safe
def contact_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "senders/contact_sent.html",
        {"ticket_number": request.session.get(SESSION_SALES_TICKET, "")},
    )
