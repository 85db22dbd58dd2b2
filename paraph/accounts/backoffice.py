"""The back office's log-in: e-mail and password, then a code sent by SMS.

:func:`install` replaces the admin site's log-in view and makes the admin
refuse any session that did not give both factors, so a staff member who
logged in to the portal with an SMS code alone does not reach the back
office. It runs from ``AccountsConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from paraph.accounts.feedback import tell_wrong_code
from paraph.accounts.forms import CodeForm, StaffLoginForm
from paraph.accounts.models import CodePurpose
from paraph.accounts.selectors import code_resend_wait
from paraph.accounts.services import (
    STAFF_VERIFIED_SESSION_KEY,
    LoginOutcome,
    ResendOutcome,
    login_code_resend,
    staff_login_code_check,
    staff_login_start,
)
from paraph.accounts.sessions import session_open
from paraph.core.context import Context
from paraph.core.http import next_url_safe

STAFF_ATTEMPT_KEY = "paraph_staff_attempt"


def staff_session_verified(request: HttpRequest) -> bool:
    """Whether this session's person gave password and SMS code."""
    user = request.user
    return bool(
        user.is_authenticated and request.session.get(STAFF_VERIFIED_SESSION_KEY) == user.pk
    )


def _next(request: HttpRequest, site: AdminSite, candidate: str | None) -> str:
    return next_url_safe(request, candidate) or reverse("admin:index", current_app=site.name)


def _page(
    request: HttpRequest, site: AdminSite, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        template,
        {**site.each_context(request), "title": _("Back-office log-in"), **context},
        status=status,
    )


def _wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Too many attempts. Please try again in %(count)d minute.",
        "Too many attempts. Please try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}


def make_staff_login(site: AdminSite) -> Any:
    @sensitive_post_parameters("password")
    @csrf_protect
    @never_cache
    def staff_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """Two factors: e-mail and password, then the code sent by SMS to the
        staff member's verified phone. Failures count toward the account's
        lock-out like wrong log-in codes."""
        if request.method == "GET" and site.has_permission(request):
            return HttpResponseRedirect(_next(request, site, request.GET.get("next")))
        attempt = request.session.get(STAFF_ATTEMPT_KEY)
        if request.method == "POST" and request.POST.get("action") == "cancel":
            request.session.pop(STAFF_ATTEMPT_KEY, None)
            return HttpResponseRedirect(request.path)
        if isinstance(attempt, dict) and attempt.get("binding"):
            return _code_step(request, site, attempt)
        return _password_step(request, site)

    return staff_login


def _locked(request: HttpRequest, site: AdminSite, locked_until: Any) -> HttpResponse:
    request.session.pop(STAFF_ATTEMPT_KEY, None)
    return _page(
        request, site, "accounts/staff_locked.html", {"locked_until": locked_until}, status=403
    )


def _password_refused(form: StaffLoginForm, result: Any) -> int:
    """The form's error for a refused password step; the page's status."""
    if result.outcome == LoginOutcome.RATE_LIMITED:
        form.add_error(None, _wait_message(result.retry_after))
        return 429
    if result.outcome == LoginOutcome.NO_PHONE:
        form.add_error(
            None,
            _(
                "Your account has no verified mobile phone for the log-in code. "
                "Ask an administrator to add one."
            ),
        )
    else:
        form.add_error(
            None,
            _(
                "This e-mail address and password do not match an active staff "
                "account. The password is case-sensitive."
            ),
        )
    return 200


def _password_step(request: HttpRequest, site: AdminSite) -> HttpResponse:
    form = StaffLoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = staff_login_start(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            context=Context.from_request(request),
        )
        if result.outcome == LoginOutcome.CODE_SENT:
            request.session[STAFF_ATTEMPT_KEY] = {
                "binding": result.binding_token,
                "next": _next(request, site, request.POST.get("next") or request.GET.get("next")),
            }
            return HttpResponseRedirect(request.get_full_path())
        if result.outcome == LoginOutcome.LOCKED:
            return _locked(request, site, result.locked_until)
        status = _password_refused(form, result)
    return _page(
        request,
        site,
        "accounts/staff_login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


def _resend(
    request: HttpRequest, site: AdminSite, token: str, form: CodeForm
) -> HttpResponse | None:
    """A new code asked for: the page's answer when the attempt is over or
    locked, else None with the form saying what happened."""
    sent = login_code_resend(
        binding_token=token, context=Context.from_request(request), purpose=CodePurpose.STAFF_LOGIN
    )
    if sent.outcome == ResendOutcome.SENT:
        form.add_error(None, _("A new code is on its way. The previous code no longer works."))
    elif sent.outcome == ResendOutcome.COOLDOWN:
        form.add_error(
            None,
            ngettext(
                "You can ask for a new code in %(count)d second.",
                "You can ask for a new code in %(count)d seconds.",
                sent.retry_after,
            )
            % {"count": sent.retry_after},
        )
    elif sent.outcome == ResendOutcome.LOCKED:
        return _locked(request, site, sent.locked_until)
    else:
        request.session.pop(STAFF_ATTEMPT_KEY, None)
        return HttpResponseRedirect(request.path)
    return None


def _code_checked(
    request: HttpRequest, site: AdminSite, attempt: dict[str, Any], form: CodeForm
) -> HttpResponse | int:
    """The code typed, checked: the page's answer when the attempt ends
    (logged in, locked, over), else the status with the form's error."""
    result = staff_login_code_check(
        binding_token=attempt["binding"],
        value=form.cleaned_data["code"],
        context=Context.from_request(request),
    )
    if result.outcome == LoginOutcome.OK:
        assert result.person is not None
        session_open(request, result.person, staff=True)
        request.session.pop(STAFF_ATTEMPT_KEY, None)
        return HttpResponseRedirect(_next(request, site, attempt.get("next")))
    if result.outcome == LoginOutcome.LOCKED:
        return _locked(request, site, result.locked_until)
    if result.outcome == LoginOutcome.RATE_LIMITED:
        form.add_error(None, _wait_message(result.retry_after))
        return 429
    if result.outcome == LoginOutcome.WRONG and result.tries_left > 0:
        tell_wrong_code(form, result.tries_left)
        return 200
    if result.outcome == LoginOutcome.EXPIRED:
        form.add_error("code", _("This code has expired. Ask for a new code."))
        return 200
    # Used, exhausted or unknown: the attempt is over.
    request.session.pop(STAFF_ATTEMPT_KEY, None)
    restart = StaffLoginForm()
    restart.add_error(None, _("Your log-in attempt has ended. Please start again."))
    return _page(request, site, "accounts/staff_login.html", {"form": restart, "next": ""})


def _code_step(request: HttpRequest, site: AdminSite, attempt: dict[str, Any]) -> HttpResponse:
    token = attempt["binding"]
    form = CodeForm(request.POST if request.method == "POST" else None)
    action = request.POST.get("action") if request.method == "POST" else None
    status = 200
    if action == "resend":
        form = CodeForm()
        answer = _resend(request, site, token, form)
        if answer is not None:
            return answer
    elif request.method == "POST" and form.is_valid():
        checked = _code_checked(request, site, attempt, form)
        if not isinstance(checked, int):
            return checked
        status = checked
    return _page(
        request,
        site,
        "accounts/staff_code.html",
        {
            "form": form,
            "resend_wait": code_resend_wait(binding_token=token, purpose=CodePurpose.STAFF_LOGIN),
        },
        status=status,
    )


def install(site: AdminSite) -> None:
    """Give ``site`` the two-factor log-in, and make it refuse sessions that
    did not pass it. Safe to call twice."""
    if getattr(site, "_paraph_staff_login", False):
        return
    plain_has_permission = site.has_permission

    def has_permission(request: HttpRequest) -> bool:
        return plain_has_permission(request) and staff_session_verified(request)

    site.has_permission = has_permission  # type: ignore[method-assign]
    site.login = make_staff_login(site)  # type: ignore[method-assign]
    site._paraph_staff_login = True  # type: ignore[attr-defined]
