"""The person's own messages, and the sandbox inbox pages."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from paraph.core.sandbox import sandbox_only
from paraph.notifications.addresses import mask_destination
from paraph.notifications.models import OutboundMessage, SandboxMessage
from paraph.notifications.selectors import (
    message_get_for_person,
    message_list_for_person,
    sandbox_message_get,
    sandbox_message_list,
)

MESSAGES_PER_PAGE = 20
SANDBOX_MESSAGES_PER_PAGE = 25

# The HTML part of a sandbox e-mail is the sender's markup, shown as is:
# no script, no plug-in, no form, no network; inline styles only, as in a
# mail client. ``sandbox`` also gives the page an opaque origin.
EMAIL_HTML_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
)
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    """My messages: what Paraph sent the logged-in person, newest first."""
    page = Paginator(message_list_for_person(person=request.user), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page_obj": page})


@login_required
@require_safe
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    """One of the person's messages, as kept; another person's is a 404."""
    try:
        message = message_get_for_person(person=request.user, message_id=message_id)
    except OutboundMessage.DoesNotExist as exc:
        raise Http404 from exc
    return render(
        request,
        "notifications/message_detail.html",
        {"message": message, "destination": mask_destination(message.channel, message.to)},
    )


@sandbox_only
@require_safe
def sandbox_inbox(request: HttpRequest) -> HttpResponse:
    """Every e-mail and SMS the sandboxes "delivered", newest first,
    optionally for one recipient typed in any usual form."""
    recipient = request.GET.get("to", "").strip()[:100]
    error = ""
    try:
        messages = sandbox_message_list(recipient=recipient)
    except ValidationError as exc:
        error = exc.messages[0]
        messages = SandboxMessage.objects.none()
    page = Paginator(messages, SANDBOX_MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/sandbox/inbox.html",
        {"page_obj": page, "recipient": recipient, "error": error},
    )


def _sandbox_message_or_404(message_id: int) -> SandboxMessage:
    try:
        return sandbox_message_get(message_id=message_id)
    except SandboxMessage.DoesNotExist as exc:
        raise Http404 from exc


@sandbox_only
@require_safe
def sandbox_message(request: HttpRequest, message_id: int) -> HttpResponse:
    """One sandbox message: headers and text part, with a link to the HTML part."""
    return render(
        request,
        "notifications/sandbox/message.html",
        {"message": _sandbox_message_or_404(message_id)},
    )


@sandbox_only
@require_safe
def sandbox_message_html(request: HttpRequest, message_id: int) -> HttpResponse:
    """The HTML part of a sandbox e-mail, under a policy that runs nothing
    in it, with a line at the top saying it was not really sent."""
    message = _sandbox_message_or_404(message_id)
    if not message.body_html:
        raise Http404
    banner = format_html(
        '<p style="margin:0;padding:8px 16px;background:#fff4d6;color:#1b1f24;'
        'border-bottom:2px solid #8a5a00;font:16px Arial,sans-serif;">'
        "<strong>{}</strong> {}</p>",
        _("Sandbox:"),
        _("this e-mail was not really sent; this is the copy Paraph kept."),
    )
    html = message.body_html
    match = _BODY_OPEN.search(html)
    html = html[: match.end()] + banner + html[match.end() :] if match else banner + html
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_HTML_CSP
    response["Cache-Control"] = "no-store"
    return response
