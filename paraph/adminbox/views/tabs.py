"""The adminbox's tabs: tasks, documents and preferences (ES-5, ES-9)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from paraph.accounts.models import NotificationChannel
from paraph.adminbox.forms import (
    DocumentFilterForm,
    NotificationForm,
)
from paraph.adminbox.selectors import (
    DOCUMENT_STATUSES,
    adminbox_documents,
    adminbox_tasks,
    page_number,
)
from paraph.adminbox.services import (
    person_notification_channel_set,
)
from paraph.adminbox.views.common import (
    person_of,
)
from paraph.contracts.companies import acting_company_number
from paraph.core.belgium import phone_mask
from paraph.core.context import Context

# --- Tabs -------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    """What waits for the person's signature, soonest deadline first."""
    page = adminbox_tasks(
        person=person_of(request),
        number=page_number(request.GET.get("page")),
        company_number=acting_company_number(request),
    )
    return render(
        request, "adminbox/tasks.html", {"tab": "tasks", "page": page, "tasks": page.items}
    )


@never_cache
@login_required
@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    """Everything received, from every sender, in any state."""
    form = DocumentFilterForm(request.GET or None, statuses=[str(s) for s in DOCUMENT_STATUSES])
    status = search = ""
    if form.is_valid():
        status, search = form.cleaned_data["status"], form.cleaned_data["q"]
    page = adminbox_documents(
        person=person_of(request),
        number=page_number(request.GET.get("page")),
        status=status,
        search=search,
        company_number=acting_company_number(request),
    )
    query = urlencode({k: v for k, v in (("status", status), ("q", search)) if v})
    return render(
        request,
        "adminbox/documents.html",
        {
            "tab": "documents",
            "page": page,
            "form": form,
            "query": query,
            "filtered": bool(status or search),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """How new documents are announced (ES-9) and the language; the mandate
    and merging parts are included from their owners."""
    person = person_of(request)
    phone_ok = bool(person.phone and person.phone_verified_at)
    if request.method == "POST":
        form = NotificationForm(request.POST)
        if form.is_valid():
            try:
                person_notification_channel_set(
                    person=person,
                    channel=form.cleaned_data["notification_channel"],
                    context=Context.from_request(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your choice is saved."))
                return redirect("adminbox:preferences")
    else:
        form = NotificationForm(initial={"notification_channel": person.notification_channel})
    return render(
        request,
        "adminbox/preferences.html",
        {
            "tab": "preferences",
            "form": form,
            "person": person,
            "phone_ok": phone_ok,
            "phone_masked": phone_mask(person.phone) if person.phone else "",
            "sms": NotificationChannel.SMS,
        },
    )
