"""What the person reads when the card's token is refused: one message
per check of the Web eID validator (what happened, then what to do next),
and :class:`WebEidError`, the refusal that carries it."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from paraph.identity.providers import IdentityError

# What the person reads: what happened, then what to do next.
MESSAGES: dict[str, tuple[Any, Any]] = {
    "token_malformed": (
        _("The answer from your card could not be read."),
        _("Try again. If it happens again, update the eID software and the Web eID extension."),
    ),
    "format_unsupported": (
        _("Your Web eID software uses a version that Paraph does not know."),
        _("Update the Web eID extension and the eID software, then try again."),
    ),
    "certificate_malformed": (
        _("The certificate sent by your card could not be read."),
        _("Check that your eID card is in the reader, then try again."),
    ),
    "algorithm_unsupported": (
        _("Your card signed in a way that Paraph does not accept."),
        _("Update the eID software and the Web eID extension, then try again."),
    ),
    "signature_malformed": (
        _("The signature made by your card could not be read."),
        _("Try again. If it happens again, update the eID software and the Web eID extension."),
    ),
    "challenge_missing": (
        _("This log-in attempt has already been used, or it was not started on this page."),
        _("Start again from this page."),
    ),
    "challenge_expired": (
        _("This log-in attempt took more than five minutes and has ended."),
        _("Start again from this page."),
    ),
    "certificate_not_yet_valid": (
        _("The certificate on your card is not valid yet."),
        _("Check the date and time of your computer, or try again tomorrow."),
    ),
    "certificate_expired": (
        _("Your eID card has expired."),
        _("Ask your municipality for a new card, or register with itsme."),
    ),
    "certificate_key_usage": (
        _("This certificate on your card cannot be used to log in."),
        _("Try again and choose the authentication certificate if you are asked."),
    ),
    "certificate_extended_key_usage": (
        _("This certificate is not meant for logging in to websites."),
        _("Try again and choose the authentication certificate if you are asked."),
    ),
    "certificate_policy": (
        _("This kind of certificate is not accepted by Paraph."),
        _("Use your Belgian eID card, or register with itsme."),
    ),
    "certificate_untrusted": (
        _("Paraph does not accept cards from the authority that issued this one."),
        _(
            "Paraph accepts Belgian eID cards (for Belgians and foreign residents). "
            "Otherwise, register with itsme or IDnow."
        ),
    ),
    "certificate_no_national_number": (
        _("The certificate on your card has no national register number."),
        _("Call the contact centre: they will help you register."),
    ),
    "certificate_revoked": (
        _("Your eID card has been revoked (reported lost or stolen, or replaced)."),
        _("If you have a newer card, use it. Otherwise, ask your municipality or use itsme."),
    ),
    "certificate_status_unknown": (
        _("The authority that issued your card does not know this card."),
        _("Call the contact centre: they will help you."),
    ),
    "ocsp_unavailable": (
        _("We cannot check your card right now: the Belgian card check service does not answer."),
        _("Try again in a few minutes, or register with itsme."),
    ),
    "ocsp_invalid": (
        _("We cannot check your card right now: the card check service's answer is not valid."),
        _("Try again in a few minutes, or register with itsme."),
    ),
    "signature_invalid": (
        _("Your card's signature does not match this log-in."),
        _(
            "Start again from this page, in the same window. Never log in through a link "
            "or page that someone sent you."
        ),
    ),
}


class WebEidError(IdentityError):
    """A refused token. ``code`` names the check that failed (for logs and
    tests); ``message`` says what happened then what to do next
    (``reason`` and ``next_step`` separately), translated when shown, safe
    to show the person; ``detail`` is for logs only."""

    def __init__(self, code: str, detail: str = "") -> None:
        reason, next_step = MESSAGES[code]
        # Lazy: translated into the person's language when it is shown.
        message: Any = format_lazy("{} {}", reason, next_step)
        super().__init__(code, message)
        self.reason = reason
        self.next_step = next_step
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code
