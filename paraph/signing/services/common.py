"""What the signing app's services share: the password lock-out's limits,
the CRL's validity and address, and the visible signature's words for a
person or for a company."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from django.conf import settings

from paraph.signing import engine
from paraph.signing.appearance import signed_for_reason

# Password signing locks for PASSWORD_LOCKOUT after PASSWORD_MAX_FAILURES
# consecutive wrong passwords on a key (and again after each further one),
# and until the day's window ends after PASSWORD_FAILURES_PER_DAY wrong
# passwords of one person, whatever key (a renewal starts a new key's count).
# The contact centre can lift a lock (person_signing_key_unlock).
PASSWORD_MAX_FAILURES = 5
PASSWORD_LOCKOUT = timedelta(minutes=30)
PASSWORD_FAILURES_PER_DAY = 10
PASSWORD_RATE_SCOPE = "signing.password.person"

# Paraph's CRL: valid for a week, replaced every day by the periodic task
# (and at once when a key is retired), so validators never see a stale one.
CRL_VALIDITY = timedelta(days=7)
CRL_REFRESH_AFTER = timedelta(days=1)
CRL_PATH = "/pki/signing-ca.crl"


def crl_url() -> str | None:
    """Where validators fetch Paraph's CRL (from ``BASE_URL``)."""
    return f"{settings.BASE_URL}{CRL_PATH}" if settings.BASE_URL else None


def visible_signature(
    options: engine.SignOptions | None, make: engine.Appearance, field_name: str | None = None
) -> engine.SignOptions:
    """``options`` with the appearance ``make`` (unless the caller gave one),
    filling the field ``field_name`` when one is named."""
    options = options or engine.SignOptions()
    if field_name:
        options = dataclasses.replace(options, field_name=field_name)
    if options.appearance is not None:
        return options
    return dataclasses.replace(options, appearance=make)


def signature_for_company(
    options: engine.SignOptions, for_company: tuple[str, str] | None, language: str | None
) -> engine.SignOptions:
    """A signature made for a company says so in its /Reason as well as on
    its stamp (unless the caller gave a reason)."""
    reason = signed_for_reason(for_company, language)
    if reason is None or options.reason:
        return options
    return dataclasses.replace(options, reason=reason)
