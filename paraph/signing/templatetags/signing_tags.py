"""How pages show a signature report's problems: in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from paraph.signing import engine

register = template.Library()

_PROBLEMS = {
    engine.PROBLEM_UNVALIDATABLE: _("the signature cannot be validated"),
    engine.PROBLEM_CERTIFICATION: _("the document was changed in a way its certification forbids"),
    engine.PROBLEM_SEED_VALUE: _("the signature breaks its field's seed value constraints"),
    engine.PROBLEM_TIMESTAMP: _("the signature's time-stamp is not valid or not trusted"),
}


@register.filter
def problem_text(problem: str) -> str:
    """``problem`` from :mod:`paraph.signing.engine`, translated; details
    after a colon (a validator's own message) stay as they are."""
    head, colon, details = problem.partition(": ")
    words = _PROBLEMS.get(head)
    if words is None:
        return problem
    return f"{words}{colon}{details}"
