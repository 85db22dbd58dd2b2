"""The sandbox itsme's page: demo identities to choose from, labelled as a
sandbox (404 outside sandbox mode)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from paraph.core.sandbox import sandbox_only
from paraph.identity.providers import (
    IdentityError,
)
from paraph.identity.providers.itsme import sandbox as itsme_sandbox
from paraph.identity.views.common import error_page

# --- The sandbox itsme ----------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@sandbox_only
def sandbox_itsme(request: HttpRequest) -> HttpResponse:
    """The sandbox's stand-in for the itsme app (sandbox mode only)."""
    state = request.POST.get("state") or request.GET.get("state", "")
    pending = itsme_sandbox.sandbox_state_get(request, state)
    if pending is None:
        return error_page(request, _("This itsme request has ended. Please start again."))
    error = ""
    if request.method == "POST":
        choice = request.POST.get("identity")
        cancel = request.POST.get("action") == "cancel"
        if cancel or choice:
            try:
                url = itsme_sandbox.sandbox_authorize(
                    request=request, state=state, identity_key=None if cancel else choice
                )
            except IdentityError as exc:
                error = exc.message
            else:
                return redirect(url)
        else:
            error = _("Choose one of the demo identities.")
    return render(
        request,
        "identity/sandbox_itsme.html",
        {
            "state": state,
            "identities": itsme_sandbox.SANDBOX_IDENTITIES,
            "purpose": pending.get("purpose", ""),
            "error": error,
        },
        status=400 if error else 200,
    )
