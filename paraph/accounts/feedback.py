"""What a person is told about a one-time code, in the same words on every
page that asks for one (log-in, registration, activation, mandate)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from paraph.accounts.services import CodeCheck, CodeOutcome, CodeResend, ResendOutcome
from paraph.core.http import rate_limited_response


def tell_wrong_code(form: Any, tries_left: int) -> None:
    form.add_error(
        "code",
        ngettext(
            "This code is not correct. You can try %(count)d more time.",
            "This code is not correct. You can try %(count)d more times.",
            tries_left,
        )
        % {"count": tries_left},
    )


def tell_expired_code(form: Any) -> None:
    form.add_error("code", _("This code has expired. Ask for a new code with the button below."))


def tell_resend_cooldown(request: HttpRequest, retry_after: int) -> None:
    messages.info(
        request,
        ngettext(
            "You can ask for a new code in %(count)d second.",
            "You can ask for a new code in %(count)d seconds.",
            retry_after,
        )
        % {"count": retry_after},
    )


def code_refusal(form: Any, check: CodeCheck) -> str:
    """Put why a code was refused on ``form`` when the person may try again
    (''), else return what to tell them: the code is over, ask a new one."""
    if check.outcome == CodeOutcome.WRONG and check.tries_left > 0:
        tell_wrong_code(form, check.tries_left)
        return ""
    if check.outcome == CodeOutcome.EXPIRED:
        tell_expired_code(form)
        return ""
    if check.outcome in (CodeOutcome.WRONG, CodeOutcome.EXHAUSTED):
        return _("The code was wrong too many times. Ask for a new code.")
    if check.outcome == CodeOutcome.USED:
        return _("This code was already used. Ask for a new code.")
    return _("This code no longer works. Ask for a new code.")


def resend_feedback(request: HttpRequest, result: CodeResend, *, ended: str) -> HttpResponse | None:
    """Tell how asking for a new code went; a response when the page must
    change (rate limited), else None. ``ended``: what to say when no new
    code can be sent at all."""

    if result.outcome == ResendOutcome.SENT:
        messages.success(request, _("A new code is on its way. The previous code no longer works."))
    elif result.outcome == ResendOutcome.COOLDOWN:
        tell_resend_cooldown(request, result.retry_after)
    elif result.outcome == ResendOutcome.LIMITED and result.retry_after:
        return rate_limited_response(request, result.retry_after)
    else:
        messages.error(request, ended)
    return None
