"""Log-in with a code sent by SMS, registration help, security and log-out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from paraph.accounts.feedback import tell_expired_code, tell_resend_cooldown, tell_wrong_code
from paraph.accounts.forms import CodeForm, LoginForm
from paraph.accounts.models import CodePurpose, Person
from paraph.accounts.selectors import code_resend_wait, person_recent_logins
from paraph.accounts.services import (
    LoginOutcome,
    ResendOutcome,
    login_code_check,
    login_code_request,
    login_code_resend,
    person_logout,
    person_logout_everywhere,
)
from paraph.accounts.sessions import session_end, session_open
from paraph.core.belgium import phone_mask
from paraph.core.context import Context
from paraph.core.http import NEXT_MAX, next_url_safe, rate_limited_response

# The log-in attempt in progress: its binding token, what the person typed
# and where to go afterwards. Kept in the session, so the code only works
# in the browser that asked for it.
LOGIN_ATTEMPT_KEY = "paraph_login_attempt"


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` when it is a page of this site, else the default."""
    return next_url_safe(request, candidate) or resolve_url(settings.LOGIN_REDIRECT_URL)


def locked_response(request: HttpRequest, locked_until: datetime | None) -> HttpResponse:
    """The same page for a locked account and a locked decoy (LG-1), with
    the contact centre's number and hours (LG-2)."""
    return render(request, "accounts/login_locked.html", {"locked_until": locked_until}, status=403)


def _attempt(request: HttpRequest) -> dict[str, Any] | None:
    attempt = request.session.get(LOGIN_ATTEMPT_KEY)
    return attempt if isinstance(attempt, dict) and attempt.get("binding") else None


def _attempt_ended(request: HttpRequest, message: str) -> HttpResponse:
    request.session.pop(LOGIN_ATTEMPT_KEY, None)
    messages.error(request, message)
    return redirect("accounts:login")


@never_cache
@require_http_methods(["GET", "POST"])
def login_start(request: HttpRequest) -> HttpResponse:
    """Step 1: the person types their mobile phone or e-mail address."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            identifier = form.cleaned_data["identifier"]
            result = login_code_request(
                identifier=identifier, context=Context.from_request(request)
            )
            if result.outcome == LoginOutcome.RATE_LIMITED:
                return rate_limited_response(request, result.retry_after)
            if result.outcome == LoginOutcome.LOCKED:
                request.session.pop(LOGIN_ATTEMPT_KEY, None)
                return locked_response(request, result.locked_until)
            request.session[LOGIN_ATTEMPT_KEY] = {
                "binding": result.binding_token,
                "identifier": identifier.value,
                "next": safe_next(request, next_url),
            }
            return redirect("accounts:login_code")
    else:
        form = LoginForm()
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url if len(next_url) <= NEXT_MAX else ""},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the person types the code. The page reads the same whether
    or not an account matched (LG-1)."""
    attempt = _attempt(request)
    if attempt is None:
        messages.info(request, _("Your log-in attempt has ended. Please start again."))
        return redirect("accounts:login")
    token = attempt["binding"]
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = login_code_check(
            binding_token=token,
            value=form.cleaned_data["code"],
            context=Context.from_request(request),
        )
        outcome = result.outcome
        if outcome == LoginOutcome.OK:
            assert result.person is not None
            session_open(request, result.person)
            request.session.pop(LOGIN_ATTEMPT_KEY, None)
            return redirect(safe_next(request, attempt.get("next")))
        if outcome == LoginOutcome.RATE_LIMITED:
            return rate_limited_response(request, result.retry_after)
        if outcome == LoginOutcome.LOCKED:
            request.session.pop(LOGIN_ATTEMPT_KEY, None)
            return locked_response(request, result.locked_until)
        if outcome == LoginOutcome.WRONG and result.tries_left > 0:
            tell_wrong_code(form, result.tries_left)
        elif outcome == LoginOutcome.EXPIRED:
            tell_expired_code(form)
        elif outcome in (LoginOutcome.WRONG, LoginOutcome.EXHAUSTED):
            return _attempt_ended(
                request, _("The code was wrong too many times. Please start again.")
            )
        elif outcome == LoginOutcome.USED:
            return _attempt_ended(request, _("This code was already used. Please start again."))
        else:
            return _attempt_ended(request, _("Your log-in attempt has ended. Please start again."))
    return render(
        request,
        "accounts/login_code.html",
        {
            "form": form,
            "identifier": attempt.get("identifier", ""),
            "resend_wait": code_resend_wait(binding_token=token, purpose=CodePurpose.LOGIN),
            "ttl_minutes": max(1, settings.CODE_TTL_SECONDS // 60),
        },
    )


@never_cache
@require_POST
def login_code_resend_view(request: HttpRequest) -> HttpResponse:
    """Send a new code for the attempt in progress, after the cool-down."""
    attempt = _attempt(request)
    if attempt is None:
        messages.info(request, _("Your log-in attempt has ended. Please start again."))
        return redirect("accounts:login")
    result = login_code_resend(
        binding_token=attempt["binding"], context=Context.from_request(request)
    )
    outcome = result.outcome
    if outcome == ResendOutcome.SENT:
        messages.success(
            request,
            _(
                "If an account matches, a new code is on its way by SMS. "
                "The previous code no longer works."
            ),
        )
    elif outcome == ResendOutcome.COOLDOWN:
        tell_resend_cooldown(request, result.retry_after)
    elif outcome == ResendOutcome.LOCKED:
        request.session.pop(LOGIN_ATTEMPT_KEY, None)
        return locked_response(request, result.locked_until)
    elif outcome == ResendOutcome.LIMITED:
        if result.retry_after:
            return rate_limited_response(request, result.retry_after)
        return _attempt_ended(
            request, _("You asked for too many codes for this log-in. Please start again.")
        )
    elif outcome == ResendOutcome.EXHAUSTED:
        return _attempt_ended(request, _("The code was wrong too many times. Please start again."))
    else:
        return _attempt_ended(request, _("Your log-in attempt has ended. Please start again."))
    return redirect("accounts:login_code")


def register(request: HttpRequest) -> HttpResponse:
    """How to register (LG-1: log-in needs a registration first)."""
    return render(request, "accounts/register.html")


@never_cache
@login_required
def security(request: HttpRequest) -> HttpResponse:
    person = request.user
    assert isinstance(person, Person)
    return render(
        request,
        "accounts/security.html",
        {
            "person": person,
            "phone_masked": phone_mask(person.phone) if person.phone else "",
            "logins": person_recent_logins(person=person),
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, Person):
        person_logout(person=request.user, context=Context.from_request(request))
    session_end(request)
    messages.success(request, _("You are logged out."))
    return redirect("web:home")


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    person = request.user
    assert isinstance(person, Person)
    person_logout_everywhere(person=person, context=Context.from_request(request))
    session_end(request)
    messages.success(request, _("You are logged out on every device. Log in again to continue."))
    return redirect("web:home")
