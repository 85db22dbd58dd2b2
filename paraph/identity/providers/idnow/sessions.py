"""The identification a browser is following, for views and the provider:
in the session, and in a signed cookie that outlives the session (a review
can take hours). Services never touch the request (ADR 37)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from paraph.identity.models import IdnowIdentification

SESSION_KEY = "paraph_idnow_transaction"
COOKIE_SALT = "paraph.identity.idnow.cookie"
COOKIE_MAX_AGE = 7 * 24 * 3600


def idnow_remember(request: HttpRequest, response: HttpResponse, transaction_number: str) -> None:
    """Let this browser follow the identification: in the session, and in a
    signed cookie for when the session has ended before the result."""
    request.session[SESSION_KEY] = transaction_number
    response.set_signed_cookie(
        cookie_name(),
        transaction_number,
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def cookie_name() -> str:
    return "__Host-paraph_idnow" if settings.SESSION_COOKIE_SECURE else "paraph_idnow"


def idnow_identification_for_request(request: HttpRequest) -> IdnowIdentification | None:
    """The identification this browser follows (session first, then the
    signed cookie), or None."""
    txn = request.session.get(SESSION_KEY)
    if not txn:
        try:
            txn = request.get_signed_cookie(cookie_name(), salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
        except (KeyError, signing.BadSignature):
            return None
    return (
        IdnowIdentification.objects.select_related("registration_attempt")
        .filter(transaction_number=str(txn))
        .first()
    )
