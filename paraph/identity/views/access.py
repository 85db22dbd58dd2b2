"""Log-in and step-up with a provider, and regaining access: a new phone
number (LG-4) and a new e-mail address (LG-3)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from paraph.accounts.models import AssuranceLevel, CodePurpose, Person
from paraph.accounts.services import (
    CodeOutcome,
)
from paraph.accounts.views import safe_next
from paraph.core.belgium import phone_mask
from paraph.core.context import Context
from paraph.identity import services
from paraph.identity.forms import (
    CodeForm,
    EmailForm,
    PhoneForm,
)
from paraph.identity.selectors import (
    identity_session,
    identity_session_is_high,
)
from paraph.identity.views.common import (
    EMAIL_CHANGE_KEY,
    HIGH_METHODS,
    ITSME_HOWTO_URL,
    NEW_PHONE_KEY,
    code_ended,
    code_sent,
    error_page,
    method_or_404,
    provider_start,
)
from paraph.identity.views.registration import code_page
from paraph.notifications.addresses import mask_destination

# --- Log-in and step-up with a provider ------------------------------------------


@never_cache
@require_POST
def login_start(request: HttpRequest, method: str) -> HttpResponse:
    """Log in with itsme or the eID card (LG-5: a new card works at once)."""
    method = method_or_404(method)
    return provider_start(
        request, method=method, flow="login", next_url=safe_next(request, request.POST.get("next"))
    )


@never_cache
@login_required
@require_POST
def step_up_start(request: HttpRequest, method: str) -> HttpResponse:
    method = method_or_404(method)
    if method not in HIGH_METHODS:
        raise Http404
    return provider_start(
        request,
        method=method,
        flow="step_up",
        next_url=safe_next(request, request.POST.get("next")),
    )


# --- A new phone number (LG-4) ----------------------------------------------------


@never_cache
@require_http_methods(["GET"])
def new_phone(request: HttpRequest) -> HttpResponse:
    """Lost or changed phone: prove who you are with itsme or the eID card."""
    return render(request, "identity/new_phone.html", {"itsme_howto_url": ITSME_HOWTO_URL})


@never_cache
@require_POST
def new_phone_start(request: HttpRequest, method: str) -> HttpResponse:
    method = method_or_404(method)
    if method not in HIGH_METHODS:
        return redirect("identity:new_phone_contact_centre")
    request.session.pop(NEW_PHONE_KEY, None)
    return provider_start(request, method=method, flow="new_phone")


@never_cache
@require_http_methods(["GET"])
def new_phone_contact_centre(request: HttpRequest) -> HttpResponse:
    """Registered with IDnow: the contact centre changes the number."""
    return render(request, "identity/new_phone_contact_centre.html")


def _new_phone_session(request: HttpRequest) -> dict[str, Any] | None:
    data = request.session.get(NEW_PHONE_KEY)
    user = request.user
    if (
        not isinstance(data, dict)
        or not isinstance(user, Person)
        or data.get("person") != user.pk
        or time.time() - float(data.get("at", 0)) > services.NEW_PHONE_MAX_AGE_SECONDS
    ):
        return None
    return data


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_phone_number(request: HttpRequest) -> HttpResponse:
    data = _new_phone_session(request)
    person = request.user
    if data is None or not isinstance(person, Person):
        messages.info(request, _("Prove who you are again to change your phone number."))
        return redirect("identity:new_phone")
    form = PhoneForm(request.POST or None)
    form.fields.pop("consent_other_uses")
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        sent = code_sent(
            request,
            form,
            lambda: services.new_phone_code_send(
                person=person, phone=phone, context=Context.from_request(request)
            ),
            session_key=NEW_PHONE_KEY,
            state={**data, "phone": phone},
            code_url="identity:new_phone_code",
        )
        if sent is not None:
            return sent
    return render(
        request,
        "identity/new_phone_number.html",
        {"form": form, "old_phone": phone_mask(person.phone) if person.phone else ""},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_phone_code(request: HttpRequest) -> HttpResponse:
    data = _new_phone_session(request)
    person = request.user
    if data is None or not isinstance(person, Person):
        return redirect("identity:new_phone")
    if not data.get("binding"):
        return redirect("identity:new_phone_number")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = services.person_phone_rebind(
                person=person,
                new_phone=data["phone"],
                binding_token=data["binding"],
                value=form.cleaned_data["code"],
                method=data["method"],
                context=Context.from_request(request),
            )
        except ValidationError as exc:
            request.session.pop(NEW_PHONE_KEY, None)
            return error_page(request, " ".join(exc.messages), status=409)
        if check.outcome == CodeOutcome.OK:
            request.session.pop(NEW_PHONE_KEY, None)
            messages.success(
                request,
                _("Your new number %(phone)s now receives your log-in codes.")
                % {"phone": phone_mask(data["phone"])},
            )
            return redirect(settings.LOGIN_REDIRECT_URL)
        ended = code_ended(
            request,
            form,
            check,
            session_key=NEW_PHONE_KEY,
            restart="identity:new_phone_number",
            keep={k: v for k, v in data.items() if k not in ("binding", "phone")},
        )
        if ended is not None:
            return ended
    return code_page(
        request,
        form=form,
        title=_("Enter the code we sent by SMS"),
        lead=_("We have sent a code by SMS to your new number %(phone)s.")
        % {"phone": phone_mask(data["phone"])},
        action=reverse("identity:new_phone_code"),
        resend="",
        restart=reverse("identity:new_phone_number"),
        binding=data["binding"],
        purpose=CodePurpose.PHONE_VERIFY,
    )


# --- A new e-mail address (LG-3) ---------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    """Change the e-mail address yourself, after a high-assurance log-in;
    otherwise the page says how to get one (or to call the contact centre)."""
    person = request.user
    assert isinstance(person, Person)
    high = identity_session_is_high(request)
    # Bound on a POST only: a first visit shows no "Enter your e-mail address".
    form = EmailForm(request.POST if high and request.method == "POST" else None)
    form.fields["email"].label = _("New e-mail address")
    if high and request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        sent = code_sent(
            request,
            form,
            lambda: services.email_change_code_send(
                person=person, new_email=new_email, context=Context.from_request(request)
            ),
            session_key=EMAIL_CHANGE_KEY,
            state={"person": person.pk, "email": new_email},
            code_url="identity:email_change_code",
        )
        if sent is not None:
            return sent
    session = identity_session(request)
    return render(
        request,
        "identity/email_change.html",
        {
            "form": form,
            "high": high,
            "person": person,
            "logged_in_with": session.get("method") if session else "",
            "registered_high": person.assurance_level == AssuranceLevel.HIGH,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_change_code(request: HttpRequest) -> HttpResponse:
    person = request.user
    assert isinstance(person, Person)
    data = request.session.get(EMAIL_CHANGE_KEY)
    if (
        not identity_session_is_high(request)
        or not isinstance(data, dict)
        or data.get("person") != person.pk
    ):
        return redirect("identity:email_change")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = services.person_email_change_self(
                person=person,
                new_email=data["email"],
                binding_token=data["binding"],
                value=form.cleaned_data["code"],
                context=Context.from_request(request),
            )
        except ValidationError as exc:
            request.session.pop(EMAIL_CHANGE_KEY, None)
            return error_page(request, " ".join(exc.messages), status=409)
        if check.outcome == CodeOutcome.OK:
            request.session.pop(EMAIL_CHANGE_KEY, None)
            messages.success(
                request, _("Your e-mail address is now %(email)s.") % {"email": person.email}
            )
            return redirect("accounts:security")
        ended = code_ended(
            request, form, check, session_key=EMAIL_CHANGE_KEY, restart="identity:email_change"
        )
        if ended is not None:
            return ended
    return code_page(
        request,
        form=form,
        title=_("Enter the code we sent by e-mail"),
        lead=_("We have sent a code by e-mail to %(email)s.")
        % {"email": mask_destination("email", data["email"])},
        action=reverse("identity:email_change_code"),
        resend="",
        restart=reverse("identity:email_change"),
        binding=data["binding"],
        purpose=CodePurpose.EMAIL_VERIFY,
    )
