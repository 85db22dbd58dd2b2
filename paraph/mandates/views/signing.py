"""Signing contracts with the password (ES-10, ES-11), one or several at
once; a wrong password counted, a locked or unavailable key explained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from paraph.accounts.models import Person
from paraph.adminbox.views import contract_or_404
from paraph.contracts.companies import acting_company_number
from paraph.contracts.models import SIGNABLE, Contract
from paraph.contracts.selectors import contract_list_for_person
from paraph.contracts.services import ContractError, ContractNotSignable
from paraph.core.context import Context
from paraph.mandates import services
from paraph.mandates.forms import BatchForm, SignPasswordForm
from paraph.mandates.selectors import (
    mandate_current,
    password_signing_state,
)
from paraph.mandates.views.common import (
    BATCH_KEY,
    tasks_url,
)
from paraph.signing.appearance import BRUSSELS
from paraph.signing.exceptions import KeyUnavailable, SigningError

# --- signing with the password -----------------------------------------------------------


def _start_with_next(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('mandates:start')}?{urlencode({'next': request.path})}")


def _wrong_password(person: Person) -> str:
    left = password_signing_state(person).tries_left
    return ngettext(
        "This password is not correct. You can try %(count)d more time before password "
        "signing is locked for a while.",
        "This password is not correct. You can try %(count)d more times before password "
        "signing is locked for a while.",
        left,
    ) % {"count": left}


def _locked_message(locked_until: datetime, person: Person) -> str:
    local = timezone.localtime(locked_until, BRUSSELS)
    if person.national_number:
        message = _(
            "Password signing is locked until %(date)s, %(time)s (Brussels time) after too "
            "many wrong passwords. You can still sign with your eID card, or call the "
            "contact centre to unlock it."
        )
    else:
        message = _(
            "Password signing is locked until %(date)s, %(time)s (Brussels time) after too "
            "many wrong passwords. Call the contact centre to unlock it."
        )
    return message % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "H:i"),
    }


def _unavailable_message() -> str:
    return _("Paraph could not sign just now: nothing was signed. Try again in a minute.")


def _password_signature(
    request: HttpRequest, person: Person, contract: Contract, form: SignPasswordForm
) -> HttpResponseBase | tuple[str, Any]:
    """The contract signed with the password typed: the next page, or the
    problem to show (and when the key is locked until, if it is)."""
    try:
        services.contract_sign_with_password(
            contract=contract,
            person=person,
            password=form.cleaned_data["password"],
            context=Context.from_request(request),
        )
    except services.MandateError:
        return _start_with_next(request)
    except KeyUnavailable as exc:
        if exc.code == "wrong_password":
            form.add_error("password", _wrong_password(person))
            return "", None
        if exc.code == "locked":
            return str(exc), exc.locked_until
        return _start_with_next(request)  # the key ended with its mandate: a new one is needed
    except ContractNotSignable as exc:
        return str(exc), None
    except ContractError:
        return (
            _(
                "This contract cannot be signed as it is. Call the contact centre: "
                "nothing was signed."
            ),
            None,
        )
    except SigningError:
        return _unavailable_message(), None
    return redirect("mandates:signed", public_id=contract.public_id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_password(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    """ES-10: the contract, the password, done."""
    person: Person = request.user  # type: ignore[assignment]
    contract = contract_or_404(request, public_id)
    mandate = mandate_current(person)
    if mandate is None:
        messages.info(
            request,
            _("To sign with a password, first sign a mandate. It takes two minutes."),
        )
        return _start_with_next(request)
    form = SignPasswordForm(request.POST or None)
    problem = ""
    locked = password_signing_state(person).locked_until
    if request.method == "POST" and form.is_valid():
        outcome = _password_signature(request, person, contract, form)
        if isinstance(outcome, HttpResponseBase):
            return outcome
        problem, locked = outcome[0], outcome[1] or locked
    if not problem and contract.status not in SIGNABLE:
        from paraph.contracts.services import contract_check_signable

        try:
            contract_check_signable(contract=contract, person=person)
        except ContractNotSignable as exc:
            problem = str(exc)
    if locked and not problem:
        problem = _locked_message(locked, person)
    return render(
        request,
        "mandates/sign_password.html",
        {
            "form": form,
            "contract": contract,
            "mandate": mandate,
            "problem": problem,
            "locked": bool(locked),
            "can_sign": contract.status in SIGNABLE and not locked,
            "contract_url": reverse("adminbox:contract", kwargs={"public_id": contract.public_id}),
            "eid_url": reverse("adminbox:sign_eid", kwargs={"public_id": contract.public_id}),
            "download_url": reverse("adminbox:download", kwargs={"public_id": contract.public_id})
            if contract.status == "signed"
            else None,
            "tasks_url": tasks_url(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def signed(request: HttpRequest, public_id: Any) -> HttpResponse:
    contract = contract_or_404(request, public_id)
    if contract.status != "signed":
        return redirect("adminbox:contract", public_id=contract.public_id)
    return render(
        request,
        "mandates/signed.html",
        {
            "contract": contract,
            "download_url": reverse("adminbox:download", kwargs={"public_id": contract.public_id}),
            "tasks_url": tasks_url(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_batch(request: HttpRequest) -> HttpResponse:
    """Several waiting contracts, one password, a signature each."""
    person: Person = request.user  # type: ignore[assignment]
    if mandate_current(person) is None:
        messages.info(
            request,
            _("To sign with a password, first sign a mandate. It takes two minutes."),
        )
        return redirect(f"{reverse('mandates:start')}?{urlencode({'next': tasks_url()})}")
    waiting = contract_list_for_person(
        person=person, waiting_only=True, company_number=acting_company_number(request)
    )
    data = request.POST if request.method == "POST" else None
    initial = {"contracts": request.GET.getlist("contracts")} if request.method == "GET" else None
    form = BatchForm(data, initial=initial, waiting=waiting)
    problem = ""
    if request.method == "POST" and form.is_valid():
        chosen = sorted(form.cleaned_data["contracts"], key=lambda c: (c.deadline, c.pk))
        try:
            outcomes = services.contracts_sign_with_password(
                contracts=chosen,
                person=person,
                password=form.cleaned_data["password"],
                context=Context.from_request(request),
            )
        except KeyUnavailable as exc:
            if exc.code == "wrong_password":
                form.add_error("password", _wrong_password(person))
            elif exc.code == "locked":
                problem = str(exc)
            else:
                return redirect(f"{reverse('mandates:start')}?{urlencode({'next': request.path})}")
        except services.MandateError as exc:
            problem = str(exc)
        else:
            request.session[BATCH_KEY] = [
                {
                    "id": str(o.contract.public_id),
                    "title": o.contract.title,
                    "sender": o.contract.sender.name,
                    "signed": o.signed,
                    "message": o.message,
                }
                for o in outcomes
            ]
            return redirect("mandates:batch_done")
    return render(
        request,
        "mandates/sign_batch.html",
        {
            "form": form,
            "problem": problem,
            "has_waiting": waiting.exists(),
            "tasks_url": tasks_url(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def batch_done(request: HttpRequest) -> HttpResponse:
    results = request.session.get(BATCH_KEY)
    if not isinstance(results, list):
        return redirect(tasks_url())
    for result in results:
        result["download_url"] = (
            reverse("adminbox:download", kwargs={"public_id": result["id"]})
            if result["signed"]
            else None
        )
    return render(
        request,
        "mandates/batch_done.html",
        {
            "results": results,
            "signed_count": sum(1 for r in results if r["signed"]),
            "tasks_url": tasks_url(),
        },
    )
