"""Identity providers (itsme, the eID card, IDnow) behind one small Protocol.

Each provider is one module with a real client for the real service and a
sandbox implementation that runs offline; ``settings.IDENTITY_PROVIDERS``
maps a method name ("itsme", "eid", "idnow") to the class used. Views never
branch on the provider: they call ``start`` and ``complete`` and receive
:class:`IdentityClaims`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string


class IdentityError(Exception):
    """The provider refused or could not prove an identity. ``message`` is
    safe to show to the person (translated); ``code`` is for logs and tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class IdentityPending(Exception):
    """The provider has not decided yet (IDnow review): come back later."""


@dataclass(frozen=True)
class Address:
    street: str = ""
    house_number: str = ""
    box: str = ""
    postal_code: str = ""
    municipality: str = ""
    country: str = "BE"
    formatted: str = ""


@dataclass(frozen=True)
class IdentityClaims:
    """What a provider proved about a person."""

    method: str  # "itsme" | "eid" | "idnow" | sandbox variants report the same names
    subject: str  # the provider's stable id for the person (itsme sub, certificate fingerprint, IDnow ident id)
    assurance: str  # paraph.accounts.models.AssuranceLevel value: "high" or "substantial"
    given_name: str
    family_name: str
    national_number: str | None = None  # 11 digits, when the provider knows it
    birth_date: dt.date | None = None
    email: str | None = None
    phone: str | None = None  # E.164, unverified until Paraph verifies it by SMS
    address: Address | None = None
    nationality: str | None = None
    document: dict[str, str] = field(default_factory=dict)  # IDnow: type, number, country, expiry
    certificate_der: bytes | None = None  # eID: the authentication certificate
    sandbox: bool = False


class IdentityProvider(Protocol):
    """One way of proving who a person is."""

    method: str

    def start(self, request: HttpRequest, *, purpose: str) -> HttpResponse:
        """Begin: redirect to the provider, or render the page that talks to
        the card. ``purpose`` is "register", "login" or "step_up"."""
        ...

    def complete(self, request: HttpRequest) -> IdentityClaims:
        """Finish on the callback request: verified claims, or
        :class:`IdentityError` / :class:`IdentityPending`."""
        ...


def get_identity_provider(method: str) -> IdentityProvider:
    try:
        path = settings.IDENTITY_PROVIDERS[method]
    except KeyError:
        raise IdentityError("unknown_method", f"unknown identity method {method!r}") from None
    provider: IdentityProvider = import_string(path)()
    return provider
