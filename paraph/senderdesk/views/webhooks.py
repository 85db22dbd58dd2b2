"""Webhook endpoints: created, their secret rotated, switched on and off,
pinged, and their deliveries listed and replayed; for a sender's admins."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from paraph.core.context import Context
from paraph.senderdesk.forms import (
    WebhookForm,
)
from paraph.senderdesk.views.access import DELIVERIES_PER_PAGE, page_context, sender_required
from paraph.senders.models import WebhookDelivery, WebhookEndpoint
from paraph.senders.selectors import (
    webhook_delivery_get_for_sender,
    webhook_delivery_list,
    webhook_endpoint_get_for_sender,
    webhook_endpoint_list_for_sender,
)
from paraph.senders.services import (
    SenderError,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_ping,
    webhook_endpoint_set_active,
    webhook_secret_rotate,
)

# --- Webhooks ----------------------------------------------------------------------------------


@sender_required(admin=True)
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    status = 200
    secret = ""
    reveal = request.method == "POST" and request.POST.get("action") == "reveal"
    if reveal:
        form = WebhookForm()
    elif request.method == "POST" and request.POST.get("action") == "rotate":
        secret = webhook_secret_rotate(
            sender=request.sender,  # type: ignore[attr-defined]
            actor=request.user,  # type: ignore[arg-type]
            context=Context.from_request(request),
        )
        messages.success(request, _("A new signing secret was made; the old one no longer works."))
        form = WebhookForm()
    elif request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                webhook_endpoint_create(
                    sender=request.sender,  # type: ignore[attr-defined]
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    description=form.cleaned_data["description"],
                    actor=request.user,  # type: ignore[arg-type]
                    context=Context.from_request(request),
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
                status = 422
            else:
                messages.success(request, _("The endpoint was added."))
                return redirect("senders:webhooks")
        else:
            status = 422
    else:
        form = WebhookForm()
    response = render(
        request,
        "senders/webhooks.html",
        page_context(
            request,
            form=form,
            endpoints=webhook_endpoint_list_for_sender(sender_id=request.sender.pk),  # type: ignore[attr-defined]
            secret=secret or (request.sender.webhook_secret if reveal else ""),  # type: ignore[attr-defined]
        ),
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _get_endpoint(request: HttpRequest, endpoint_id: Any) -> WebhookEndpoint:
    try:
        return webhook_endpoint_get_for_sender(
            sender_id=request.sender.pk,  # type: ignore[attr-defined]
            public_id=endpoint_id,
        )
    except WebhookEndpoint.DoesNotExist:
        raise Http404 from None


@sender_required(admin=True)
@require_safe
def webhook_detail(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    """The endpoint's delivery log, newest first."""
    endpoint = _get_endpoint(request, endpoint_id)
    page = Paginator(
        webhook_delivery_list(endpoint=endpoint),
        DELIVERIES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "senders/webhook_detail.html",
        page_context(request, endpoint=endpoint, page_obj=page),
    )


@sender_required(admin=True)
@require_POST
def webhook_ping(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    endpoint = _get_endpoint(request, endpoint_id)
    webhook_endpoint_ping(
        endpoint=endpoint,
        actor=request.user,  # type: ignore[arg-type]
        context=Context.from_request(request),
    )
    messages.success(request, _("A test event was sent; its result is in the log below."))
    return redirect("senders:webhook_detail", endpoint_id=endpoint.public_id)


@sender_required(admin=True)
@require_POST
def webhook_toggle(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    endpoint = _get_endpoint(request, endpoint_id)
    webhook_endpoint_set_active(
        endpoint=endpoint,
        active=not endpoint.is_active,
        actor=request.user,  # type: ignore[arg-type]
        context=Context.from_request(request),
    )
    return redirect("senders:webhook_detail", endpoint_id=endpoint.public_id)


@sender_required(admin=True)
@require_POST
def webhook_replay(request: HttpRequest, delivery_id: Any) -> HttpResponse:
    try:
        delivery = webhook_delivery_get_for_sender(
            sender_id=request.sender.pk,  # type: ignore[attr-defined]
            public_id=delivery_id,
        )
    except WebhookDelivery.DoesNotExist:
        raise Http404 from None
    try:
        webhook_delivery_replay(
            delivery=delivery,
            actor=request.user,  # type: ignore[arg-type]
            context=Context.from_request(request),
        )
    except SenderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The event was sent again."))
    return redirect("senders:webhook_detail", endpoint_id=delivery.endpoint.public_id)
