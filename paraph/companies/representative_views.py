"""Changing a company's digital representative (CO-5), as the person sees
it: identify yourself with itsme or the eID card (identity's step-up: a
high-assurance log-in of this session, at most 15 minutes old), identify
your company, designate the new representative; and the link the new
representative opens to accept."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from paraph.accounts.models import Person
from paraph.companies.forms import CompanyNumberForm, DesignationForm
from paraph.companies.middleware import ACTING_SESSION_KEY
from paraph.companies.services import (
    CompanyRefused,
    representative_accept,
    representative_change_find,
    representative_change_waiting,
    representative_company_check,
    representative_designate,
    representative_withdraw,
)
from paraph.core.context import Context
from paraph.identity.selectors import identity_session_is_high

DESIGNATION_FIELDS = {"name", "email", "national_number"}


def _step_one(request: HttpRequest, next_url: str) -> HttpResponse:
    return render(
        request,
        "companies/representative_identify.html",
        {"next": next_url},
        status=200 if request.method == "GET" else 403,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def representative_start(request: HttpRequest) -> HttpResponse:
    """Steps 1 and 2: identify yourself, then your company."""
    person = request.user
    assert isinstance(person, Person)
    number = request.POST.get("number") or request.GET.get("number") or ""
    here = reverse("companies:representative")
    if not identity_session_is_high(request):
        return _step_one(request, f"{here}?{urlencode({'number': number})}" if number else here)
    form = CompanyNumberForm(request.POST or None, initial={"number": number})
    if request.method == "POST" and form.is_valid():
        try:
            company, _basis = representative_company_check(
                person=person, number=form.cleaned_data["number"]
            )
        except CompanyRefused as refusal:
            form.add_error("number", refusal.message)
        else:
            return redirect("companies:representative_designate", number=company.number)
    return render(
        request,
        "companies/representative_company.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def representative_designate_view(request: HttpRequest, number: str) -> HttpResponse:
    """Step 3: designate the new representative; or see the designation
    that waits, and withdraw it."""
    person = request.user
    assert isinstance(person, Person)
    here = reverse("companies:representative_designate", args=[number])
    if not identity_session_is_high(request):
        return _step_one(request, here)
    try:
        company, basis = representative_company_check(person=person, number=number)
    except CompanyRefused as refusal:
        step_two = CompanyNumberForm(data={"number": number})
        step_two.is_valid()
        step_two.add_error("number", refusal.message)
        return render(
            request, "companies/representative_company.html", {"form": step_two}, status=403
        )
    form = DesignationForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "withdraw":
                representative_withdraw(
                    change_id=int(request.POST.get("change", "0") or 0),
                    person=person,
                    context=Context.from_request(request),
                )
                messages.success(request, _("The designation was withdrawn."))
                return redirect(here)
            form = DesignationForm(request.POST)
            form.is_valid()
            change, _token = representative_designate(
                person=person,
                number=company.number,
                name=form.cleaned_data.get("name", ""),
                email=form.cleaned_data.get("email", ""),
                national_number=form.cleaned_data.get("national_number", ""),
                context=Context.from_request(request),
            )
        except CompanyRefused as refusal:
            field = refusal.code if refusal.code in DESIGNATION_FIELDS else None
            if action == "withdraw":
                messages.error(request, refusal.message)
            else:
                if refusal.code == "already_representative":
                    field = "national_number"
                form.add_error(field, refusal.message)
            status = 400
        except ValueError:
            messages.error(request, _("You may not withdraw this designation."))
            status = 400
        else:
            messages.success(
                request,
                _(
                    "%(name)s is designated. We sent them a link by e-mail: they become the "
                    "digital representative when they accept, registered with itsme or the "
                    "eID card."
                )
                % {"name": change.name},
            )
            return redirect(here)
    return render(
        request,
        "companies/representative_designate.html",
        {
            "company": company,
            "basis": basis,
            "form": form,
            "waiting": representative_change_waiting(company=company),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def representative_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to the designated person: log in (or register with
    itsme or the eID card), then accept."""
    try:
        change = representative_change_find(token=token)
    except CompanyRefused as refusal:
        return render(
            request,
            "companies/representative_accept.html",
            {"refusal": refusal.message},
            status=410,
        )
    person = request.user if request.user.is_authenticated else None
    context: dict[str, Any] = {"change": change, "company": change.company, "next": request.path}
    if request.method == "POST" and isinstance(person, Person):
        try:
            accepted = representative_accept(
                token=token, person=person, context=Context.from_request(request)
            )
        except CompanyRefused as refusal:
            return render(
                request,
                "companies/representative_accept.html",
                {**context, "refusal": refusal.message},
                status=403,
            )
        request.session[ACTING_SESSION_KEY] = accepted.company.number
        messages.success(
            request,
            _("You are now the digital representative of %(company)s.")
            % {"company": str(accepted.company)},
        )
        return redirect("companies:list")
    return render(request, "companies/representative_accept.html", context)
