"""Merging two adminboxes (ES-12) and the short links of SMS announcements
(ES-9). The services are in :mod:`paraph.contracts.merging` and
:mod:`paraph.contracts.services`."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from paraph.contracts.merging import (
    MergeRateLimited,
    MergeRefused,
    adminbox_merge_confirm,
    adminbox_merge_preview,
    adminbox_merge_request,
    merge_link_throttle,
)
from paraph.contracts.services import AccessLinkInvalid, ShortLinkRateLimited, short_link_follow
from paraph.core.context import Context
from paraph.core.http import rate_limited_response

SESSION_MERGED = "paraph_adminbox_merged"
# The address whose activation found the phone of another adminbox: the
# "identify another address" form offers it once the person logged in there.
MERGE_ADDRESS_KEY = "paraph_adminbox_merge_address"


class IdentifyAddressForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your other e-mail address"),
        help_text=gettext_lazy(
            "The address where you received documents in another adminbox. We send it an "
            "e-mail explaining what to do next."
        ),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _documents_url() -> str:
    return reverse("adminbox:documents")


@login_required
@require_http_methods(["GET", "POST"])
def merge_request(request: HttpRequest) -> HttpResponse:
    """'Identify another address' (also shown in the preferences tab)."""
    status = 200
    if request.method == "POST":
        form = IdentifyAddressForm(request.POST)
        if form.is_valid():
            try:
                adminbox_merge_request(
                    person=request.user,  # type: ignore[arg-type]
                    email=form.cleaned_data["email"],
                    context=Context.from_request(request),
                )
            except MergeRateLimited as exc:
                return rate_limited_response(request, exc.retry_after)
            except ValidationError as exc:
                form.add_error("email", exc)
            else:
                return render(
                    request,
                    "adminbox/merge_requested.html",
                    {
                        "tab": "preferences",
                        "email": form.cleaned_data["email"],
                        "documents_url": _documents_url(),
                    },
                )
        status = 422
    else:
        form = IdentifyAddressForm(initial={"email": request.session.pop(MERGE_ADDRESS_KEY, "")})
    return render(
        request,
        "adminbox/merge_request.html",
        {
            "tab": "preferences",
            "form": form,
            "preferences_url": reverse("adminbox:preferences"),
        },
        status=status,
    )


_LINK_WORDS = {
    "unknown": (
        404,
        gettext_lazy(
            "This link is not valid. Check that you copied the whole link from the e-mail."
        ),
    ),
    "expired": (
        410,
        gettext_lazy(
            "This link has expired. Identify the other address again from your preferences: "
            "we will send a new e-mail."
        ),
    ),
    "used": (
        410,
        gettext_lazy(
            "This link was already used: the adminboxes were merged. Your documents are in "
            "your adminbox."
        ),
    ),
}


def _invalid(request: HttpRequest, code: str, message: str, status: int) -> HttpResponse:
    return render(
        request,
        "adminbox/merge_invalid.html",
        {
            "tab": "preferences",
            "code": code,
            "message": message,
            "documents_url": _documents_url(),
            "merge_request_url": reverse("adminbox:merge_request"),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def merge_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the e-mail to the other address: what will move, and the
    confirm button; opened while logged in to the adminbox that asked."""
    person = request.user
    try:
        merge_link_throttle(context=Context.from_request(request))
        if request.method == "POST":
            result = adminbox_merge_confirm(
                token=token,
                person=person,  # type: ignore[arg-type]
                context=Context.from_request(request),
            )
            request.session[SESSION_MERGED] = {
                "documents": result.documents,
                "tasks": result.tasks,
                "email": result.aliases[0] if result.aliases else "",
            }
            return redirect("adminbox:merge_done")
        preview = adminbox_merge_preview(token=token, person=person)  # type: ignore[arg-type]
    except MergeRateLimited as exc:
        return rate_limited_response(request, exc.retry_after)
    except AccessLinkInvalid as exc:
        status, words = _LINK_WORDS.get(exc.code, _LINK_WORDS["unknown"])
        return _invalid(request, exc.code, str(words), status)
    except MergeRefused as exc:
        return _invalid(request, exc.code, str(exc), 403 if exc.code == "wrong_person" else 409)
    return render(
        request,
        "adminbox/merge_confirm.html",
        {
            "tab": "preferences",
            "preview": preview,
            "token": token,
            "documents_url": _documents_url(),
        },
    )


@login_required
@require_safe
def merge_done(request: HttpRequest) -> HttpResponse:
    merged = request.session.pop(SESSION_MERGED, None)
    if merged is None:
        return redirect(_documents_url())
    return render(
        request,
        "adminbox/merge_done.html",
        {"tab": "documents", "merged": merged, "documents_url": _documents_url()},
    )


@require_safe
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """The short link of an SMS (ES-9): leads to the contract's page, which
    asks the person to log in first."""
    try:
        link = short_link_follow(code=code, context=Context.from_request(request))
    except ShortLinkRateLimited as exc:
        return rate_limited_response(request, exc.retry_after)
    except AccessLinkInvalid as exc:
        if exc.code == "expired":
            return render(
                request,
                "web/error.html",
                {
                    "title": gettext("This link has expired"),
                    "explanation": gettext(
                        "Log in to your adminbox: the contract is in your documents."
                    ),
                },
                status=410,
            )
        raise Http404 from None
    contract = link.contract
    assert contract is not None
    return redirect("adminbox:contract", public_id=contract.public_id)
