"""Audit event names of the mandates app (``mandates.entity.action``)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EVENTS: dict[str, Promise | str] = {
    "mandates.mandate.started": _("A mandate for password signing was started"),
    "mandates.mandate.code_sent": _("A code to sign a mandate was sent"),
    "mandates.mandate.code_failed": _("A code typed to sign a mandate was refused"),
    "mandates.mandate.signed": _("A mandate was signed with a one-time code and sealed"),
    "mandates.mandate.activated": _(
        "A mandate was confirmed with the password: signing key issued"
    ),
    "mandates.mandate.superseded": _("A mandate was replaced by a newer one"),
    "mandates.mandate.revoked": _("A mandate was revoked by its signer"),
    "mandates.mandate.expired": _("A mandate reached its end: signing key retired"),
    "mandates.mandate.reminder_sent": _("A reminder that a mandate ends soon was sent"),
}
