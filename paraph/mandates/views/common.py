"""What the mandate pages share: the flow kept in the session, its steps,
and the answer to a code sent again."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from paraph.accounts.feedback import resend_feedback
from paraph.accounts.services import (
    CodeResend,
    RateRule,
)
from paraph.mandates.models import Mandate
from paraph.mandates.selectors import (
    mandate_in_progress,
)

# The strength meter asks as the person types (after a pause): enough for
# that, too few to use the page as an oracle for anything.
PASSWORD_CHECKS = RateRule("mandates.password_check", 120, 10 * 60)
FLOW_KEY = "paraph_mandate_flow"
BATCH_KEY = "paraph_mandate_batch"


# --- helpers ----------------------------------------------------------------------


def tasks_url() -> str:
    return reverse("adminbox:tasks")


def flow_state(request: HttpRequest) -> dict[str, str]:
    data = request.session.get(FLOW_KEY)
    return data if isinstance(data, dict) else {}


def flow_mandate(request: HttpRequest, *statuses: str) -> Mandate | None:
    """The person's mandate this flow is about, if it is in ``statuses``."""
    mandate = mandate_in_progress(request.user)  # type: ignore[arg-type]
    if mandate is None or mandate.status not in statuses:
        return None
    return mandate


def mandate_steps(current: int) -> list[dict[str, Any]]:
    labels = [_("Choose"), _("Sign the mandate"), _("Your password"), _("Done")]
    return [
        {"label": label, "done": n < current, "current": n == current}
        for n, label in enumerate(labels, start=1)
    ]


def code_resent_answer(request: HttpRequest, result: CodeResend) -> HttpResponse | None:
    return resend_feedback(
        request, result, ended=_("No new code can be sent for this mandate. Start again.")
    )
