"""A person's companies: registering one by its enterprise number (CO-1),
with a correction request when its data is wrong (CO-2)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from paraph.accounts.models import Person
from paraph.accounts.views import safe_next
from paraph.companies import selectors
from paraph.companies.forms import CompanyConfirmForm, CompanyNumberForm, InvitationForm
from paraph.companies.middleware import ACTING_SESSION_KEY
from paraph.companies.providers import CompanyData
from paraph.companies.services import (
    CompanyRefused,
    acting_check,
    acting_set,
    assurance_refusal,
    company_check,
    company_register,
    company_user_remove,
    company_user_set_signer,
    invitation_accept,
    invitation_create,
    invitation_find,
    person_may_register_companies,
)
from paraph.core.belgium import enterprise_number_format
from paraph.core.context import Context


def _language() -> str:
    return translation.get_language() or "fr"


def company_view_data(data: CompanyData, language: str) -> dict[str, Any]:
    """The registry's data as the page shows it, in ``language``."""
    return {
        "number": enterprise_number_format(data.enterprise_number),
        "name": data.name(language),
        "names": sorted({(name.language, name.text) for name in data.names}),
        "legal_form": data.legal_form.describe(language) if data.legal_form else "",
        "status": data.status.describe(language),
        "situation": data.juridical_situation.describe(language),
        "start_date": data.start_date,
        "address": data.registered_address.lines(language) if data.registered_address else (),
        "establishments": [
            {
                "number": enterprise_number_format(e.number),
                "name": next((n.text for n in e.names if n.language == language), "")
                or (e.names[0].text if e.names else ""),
                "address": e.address.lines(language) if e.address else (),
                "start_date": e.start_date,
            }
            for e in data.establishments
        ],
        "source": data.source,
    }


@never_cache
@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    person = request.user
    assert isinstance(person, Person)
    return render(
        request,
        "companies/list.html",
        {
            "companies": selectors.companies_represented(person=person),
            "used": [
                company
                for company in selectors.companies_of(person=person)
                if company.representative_id != person.pk
            ],
            "may_register": person_may_register_companies(person),
        },
    )


@never_cache
@login_required
def company_register_view(request: HttpRequest) -> HttpResponse:
    """Two steps on one address: the number (then the registry's data is
    shown), and the confirmation with an optional correction."""
    person = request.user
    assert isinstance(person, Person)
    language = _language()
    if not person_may_register_companies(person):
        return render(
            request,
            "companies/register_refused.html",
            {"refusal": assurance_refusal().message},
            status=403,
        )
    if request.method != "POST":
        return render(request, "companies/register.html", {"form": CompanyNumberForm()})
    if "confirm" not in request.POST:
        form = CompanyNumberForm(request.POST)
        form.is_valid()
        try:
            data = company_check(person=person, number=form.cleaned_data.get("number", ""))
        except CompanyRefused as refusal:
            form.add_error("number", refusal.message)
            return render(request, "companies/register.html", {"form": form}, status=400)
        confirm = CompanyConfirmForm(initial={"number": data.enterprise_number})
        return render(
            request,
            "companies/register_confirm.html",
            {"form": confirm, "company": company_view_data(data, language)},
        )
    confirm = CompanyConfirmForm(request.POST)
    if not confirm.is_valid():
        number = confirm.data.get("number", "")
        try:
            data = company_check(person=person, number=number)
        except CompanyRefused as refusal:
            form = CompanyNumberForm(data={"number": number})
            form.is_valid()
            form.add_error("number", refusal.message)
            return render(request, "companies/register.html", {"form": form}, status=400)
        return render(
            request,
            "companies/register_confirm.html",
            {"form": confirm, "company": company_view_data(data, language)},
            status=400,
        )
    try:
        company, correction = company_register(
            person=person,
            number=confirm.cleaned_data["number"],
            language=language,
            correction=confirm.cleaned_data["correction"],
            context=Context.from_request(request),
        )
    except CompanyRefused as refusal:
        form = CompanyNumberForm(data={"number": confirm.cleaned_data["number"]})
        form.is_valid()
        form.add_error("number", refusal.message)
        return render(request, "companies/register.html", {"form": form}, status=400)
    messages.success(
        request,
        _("%(company)s is registered: you are its digital representative.")
        % {"company": str(company)},
    )
    if correction is not None:
        messages.info(
            request,
            _("Your correction request was sent; you will be told what is decided."),
        )
    return redirect("companies:list")


def _company_or_refusal(request: HttpRequest, person: Person, number: str) -> Any:
    try:
        return acting_check(person=person, number=number)
    except CompanyRefused as refusal:
        return render(
            request, "companies/acting_refused.html", {"refusal": refusal.message}, status=403
        )


@never_cache
@login_required
def company_users(request: HttpRequest, number: str) -> HttpResponse:
    """The representative's page of the company's users: invite, remove,
    choose who may sign (CO-3)."""
    person = request.user
    assert isinstance(person, Person)
    company = _company_or_refusal(request, person, number)
    if isinstance(company, HttpResponse):
        return company
    form = InvitationForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "invite":
                form = InvitationForm(request.POST)
                if form.is_valid():
                    invitation_create(
                        company=company,
                        person=person,
                        email=form.cleaned_data["email"],
                        national_number=form.cleaned_data["national_number"],
                        context=Context.from_request(request),
                    )
                    messages.success(
                        request,
                        _("The invitation was sent to %(email)s.")
                        % {"email": form.cleaned_data["email"]},
                    )
                    return redirect("companies:users", number=company.number)
                status = 400
            elif action in ("remove", "sign", "nosign"):
                user_id = int(request.POST.get("user", "0") or 0)
                if action == "remove":
                    company_user_remove(
                        company=company,
                        person=person,
                        user_id=user_id,
                        context=Context.from_request(request),
                    )
                    messages.success(request, _("The user was removed."))
                else:
                    company_user_set_signer(
                        company=company,
                        person=person,
                        user_id=user_id,
                        can_sign=action == "sign",
                        context=Context.from_request(request),
                    )
                    messages.success(request, _("Saved."))
                return redirect("companies:users", number=company.number)
        except CompanyRefused as refusal:
            if refusal.code == "national_number":
                form.add_error("national_number", refusal.message)
            elif refusal.code in ("email", "already_user"):
                form.add_error("email", refusal.message)
            elif request.POST.get("action") == "invite":
                form.add_error(None, refusal.message)
            else:
                messages.error(request, refusal.message)
            status = 403 if refusal.code == "not_representative" else 400
        except ValueError:
            messages.error(request, _("This person is not a user of the company."))
            status = 400
    return render(
        request,
        "companies/users.html",
        {
            "company": company,
            "form": form,
            "is_representative": company.representative_id == person.pk,
            "users": selectors.company_users(company=company),
        },
        status=status,
    )


@never_cache
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link (CO-3): log in (or register with itsme or the
    eID card), then accept."""
    try:
        invitation = invitation_find(token=token)
    except CompanyRefused as refusal:
        return render(
            request, "companies/invitation.html", {"refusal": refusal.message}, status=410
        )
    person = request.user if request.user.is_authenticated else None
    if request.method == "POST" and isinstance(person, Person):
        try:
            member = invitation_accept(
                token=token, person=person, context=Context.from_request(request)
            )
        except CompanyRefused as refusal:
            return render(
                request,
                "companies/invitation.html",
                {"invitation": invitation, "refusal": refusal.message},
                status=403,
            )
        request.session[ACTING_SESSION_KEY] = member.company.number
        messages.success(
            request,
            _("You now act for %(company)s.") % {"company": str(member.company)},
        )
        return redirect("adminbox:tasks")
    return render(
        request,
        "companies/invitation.html",
        {"invitation": invitation, "company": invitation.company, "next": request.path},
    )


@never_cache
@login_required
def acting_choose(request: HttpRequest) -> HttpResponse:
    """For whom the person acts: themselves or one of their companies."""
    person = request.user
    assert isinstance(person, Person)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        number = request.POST.get("as", "")
        try:
            acting_set(person=person, number=number, context=Context.from_request(request))
        except CompanyRefused as refusal:
            return render(
                request, "companies/acting_refused.html", {"refusal": refusal.message}, status=403
            )
        request.session[ACTING_SESSION_KEY] = number
        return redirect(next_url)
    return render(
        request,
        "companies/act.html",
        {"choices": selectors.companies_of(person=person), "next": next_url},
    )
