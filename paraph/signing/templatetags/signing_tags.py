"""How pages show a signature report's problems and what changed after a
signature: in the reader's language."""

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
    engine.PROBLEM_MODIFIED: _(
        "the document was changed after this signature in a way it does not allow"
    ),
    engine.PROBLEM_PARTIAL_COVERAGE: _(
        "the signature does not cover the whole of its own revision"
    ),
}

_CHANGES = {
    "validation_data": _("validation data and document time-stamps"),
    "signatures": _("further signatures"),
    "form_filling": _("form fields filled in"),
    "annotations": _("comments or other annotations added, changed or removed"),
    "pages_added": _("pages added"),
    "pages_removed": _("pages removed"),
    "content_changed": _("the content of a page replaced or changed"),
    "other": _("other changes"),
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


@register.filter
def changes_text(changes: tuple[str, ...]) -> str:
    """What later revisions did (``SignatureReport.changes``), translated
    and joined; a name Paraph does not know is shown as it is."""
    return ", ".join(str(_CHANGES.get(change, change)) for change in changes)
