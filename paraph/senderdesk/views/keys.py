"""API keys: created (shown once), listed and revoked; for a sender's admins."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from paraph.core.context import Context
from paraph.senderdesk.forms import (
    ApiKeyForm,
)
from paraph.senderdesk.views.access import page_context, sender_required
from paraph.senders.models import ApiKey
from paraph.senders.services import (
    api_key_create,
    api_key_revoke,
)

# --- API keys -------------------------------------------------------------------------------


@sender_required(admin=True)
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    """The sender's API keys; a new key is shown once, on this answer only."""
    new_key = ""
    status = 200
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                _key, new_key = api_key_create(
                    sender=request.sender,  # type: ignore[attr-defined]
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    actor=request.user,  # type: ignore[arg-type]
                    context=Context.from_request(request),
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
                status = 422
            else:
                form = ApiKeyForm()
        else:
            status = 422
    else:
        form = ApiKeyForm()
    response = render(
        request,
        "senders/keys.html",
        page_context(
            request,
            form=form,
            new_key=new_key,
            keys=ApiKey.objects.filter(sender=request.sender).select_related("created_by"),  # type: ignore[attr-defined]
        ),
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@sender_required(admin=True)
@require_POST
def key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = ApiKey.objects.filter(sender=request.sender, pk=key_id).first()  # type: ignore[attr-defined]
    if key is None:
        raise Http404
    api_key_revoke(key=key, actor=request.user, context=Context.from_request(request))  # type: ignore[arg-type]
    messages.success(request, _("The key %(prefix)s was revoked.") % {"prefix": key.display_prefix})
    return redirect("senders:keys")
