"""Bulk sends: a file of contracts uploaded, and the batch's progress."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from paraph.contracts.models import BulkBatch
from paraph.contracts.selectors import (
    batch_get_for_sender,
    batch_items,
)
from paraph.contracts.services import (
    ContractInvalid,
    batch_create,
)
from paraph.core.context import Context
from paraph.senderdesk.bulk import bulk_entries_from_upload
from paraph.senderdesk.forms import (
    BulkForm,
)
from paraph.senderdesk.views.access import page_context, sender_required

# --- Bulk sends -------------------------------------------------------------------------


@sender_required()
@require_http_methods(["GET", "POST"])
def bulk_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = BulkForm(request.POST, request.FILES)
        if form.is_valid():
            zip_upload = form.cleaned_data["zip_file"]
            if zip_upload.size and zip_upload.size > settings.API_MAX_REQUEST_BYTES:
                form.add_error("zip_file", _("The zip file is too large."))
            else:
                try:
                    entries = bulk_entries_from_upload(
                        csv_file=form.cleaned_data["csv_file"],
                        zip_file=zip_upload,
                        default_title=form.cleaned_data["title"],
                    )
                    batch = batch_create(
                        sender=request.sender,  # type: ignore[attr-defined]
                        entries=entries,
                        source="csv",
                        actor=request.user,  # type: ignore[arg-type]
                        context=Context.from_request(request),
                    )
                except ValidationError as exc:
                    for name, errors in exc.message_dict.items():
                        for message in errors:
                            form.add_error(name if name in form.fields else None, message)
                except ContractInvalid as exc:
                    for error in exc.errors:
                        form.add_error(None, error.message)
                else:
                    return redirect("senders:bulk_detail", batch_id=batch.public_id)
        status = 422
    else:
        form = BulkForm()
    recent = BulkBatch.objects.filter(sender=request.sender).order_by("-created_at")[:10]  # type: ignore[attr-defined]
    return render(
        request,
        "senders/bulk_new.html",
        page_context(request, form=form, recent=recent),
        status=status,
    )


def _get_batch(request: HttpRequest, batch_id: Any) -> BulkBatch:
    try:
        return batch_get_for_sender(
            sender_id=request.sender.pk,  # type: ignore[attr-defined]
            public_id=batch_id,
        )
    except BulkBatch.DoesNotExist:
        raise Http404 from None


@sender_required()
@require_safe
def bulk_detail(request: HttpRequest, batch_id: Any) -> HttpResponse:
    batch = _get_batch(request, batch_id)
    return render(
        request,
        "senders/bulk_detail.html",
        page_context(request, batch=batch, items=list(batch_items(batch=batch))),
    )


@sender_required()
@require_safe
def bulk_progress(request: HttpRequest, batch_id: Any) -> HttpResponse:
    """What the progress bar polls."""
    batch = _get_batch(request, batch_id)
    return JsonResponse(
        {
            "status": batch.status,
            "total": batch.total,
            "processed": batch.processed,
            "succeeded": batch.succeeded,
            "failed": batch.failed,
            "percent": batch.percent,
            "text": _(
                "%(processed)s of %(total)s processed: %(succeeded)s sent, %(failed)s refused."
            )
            % {
                "processed": batch.processed,
                "total": batch.total,
                "succeeded": batch.succeeded,
                "failed": batch.failed,
            }
            + " "
            + str(batch.get_status_display()),
        }
    )
