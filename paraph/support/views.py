"""The contact form (SU-1) and its thank-you page, with the contact
centre's phone and hours (SU-2)."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import ngettext

from paraph.core.context import Context
from paraph.support.forms import CONTACT_TOPICS, ContactForm
from paraph.support.services import TicketRateLimited, ticket_create

SESSION_LAST_TICKET = "paraph_support_last_ticket"


def _rate_limited_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "You have sent several messages in a short time. Please try again in %(minutes)d "
        "minute, or call the contact centre on %(phone)s.",
        "You have sent several messages in a short time. Please try again in %(minutes)d "
        "minutes, or call the contact centre on %(phone)s.",
        minutes,
    ) % {"minutes": minutes, "phone": settings.CONTACT_PHONE}


def contact(request: HttpRequest) -> HttpResponse:
    person = request.user if request.user.is_authenticated else None
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.honeypot_filled():
            # A robot: it sees the usual thank-you page, nothing is created.
            request.session.pop(SESSION_LAST_TICKET, None)
            return redirect("support:contact_sent")
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = ticket_create(
                    topic=data["topic"],
                    name=data["name"],
                    email=data["email"],
                    reference=data["reference"],
                    message=data["message"],
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    person=person,
                    context=Context.from_request(request),
                )
            except TicketRateLimited as exc:
                form.add_error(None, _rate_limited_message(exc.retry_after))
                status = 429
            else:
                request.session[SESSION_LAST_TICKET] = ticket.number
                return redirect("support:contact_sent")
    else:
        initial: dict[str, str] = {}
        topic = request.GET.get("topic", "")
        if topic in dict(CONTACT_TOPICS):
            initial["topic"] = topic
        if person is not None:
            initial["name"] = person.get_full_name()
            initial["email"] = person.email
        form = ContactForm(initial=initial)
    return render(
        request,
        "support/contact.html",
        {"form": form, "lockout_minutes": settings.LOGIN_LOCKOUT_SECONDS // 60},
        status=status,
    )


def contact_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "support/contact_sent.html",
        {"ticket_number": request.session.get(SESSION_LAST_TICKET, "")},
    )
