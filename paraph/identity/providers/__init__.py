"""Identity providers (itsme, the eID card, IDnow) behind two small Protocols.

Each provider is a package (``itsme/``, ``eid/``, ``idnow/``) holding its
provider class (``provider.py``), its sandbox that runs offline
(``sandbox.py``), and whatever else it needs: its pages (``views.py``,
``urls.py``, included by name by ``paraph.identity.urls``), its client,
tasks and services. ``settings.IDENTITY_PROVIDERS`` maps a method name
("itsme", "eid", "idnow") to the class used; each package re-exports its
real provider class, so ``paraph.identity.providers.itsme.ItsmeProvider``
names it.

Two shapes, two Protocols (ADR 38): a provider that proves an identity in
one round trip of the browser (:class:`IdentityProvider`: itsme, the eID
card), and one whose verdict comes later, by webhook or polling
(:class:`AsynchronousProvider`: IDnow). The registration views only call
``start`` and ``complete``, which both offer, and receive
:class:`IdentityClaims`; IDnow's own pages ask for the asynchronous one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from paraph.identity.models import IdnowIdentification, RegistrationAttempt
    from paraph.identity.providers.idnow.provider import IdnowChoice


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
    """One way of proving who a person is, in one round trip of the browser
    (itsme's redirect and callback; the eID card's page and its signed
    challenge)."""

    method: str

    def start(self, request: HttpRequest, *, purpose: str) -> HttpResponse:
        """Begin: redirect to the provider, or render the page that talks to
        the card. ``purpose`` is "register", "login" or "step_up"."""
        ...

    def complete(self, request: HttpRequest) -> IdentityClaims:
        """Finish on the callback request: verified claims, or
        :class:`IdentityError` / :class:`IdentityPending`."""
        ...


@runtime_checkable
class AsynchronousProvider(IdentityProvider, Protocol):
    """A provider whose verdict comes later (IDnow: an agent may review the
    video; the result arrives by an authenticated webhook, or by polling).
    ``start`` shows where the person picks a document; ``begin`` creates the
    identification and sends the person there; ``refresh`` asks for the
    result now; ``complete`` gives the claims once the result is in, or
    raises :class:`IdentityPending`."""

    sandbox: bool

    def begin(
        self, request: HttpRequest, *, choice: IdnowChoice, attempt: RegistrationAttempt | None
    ) -> HttpResponse:
        """Create the identification and send the person to the provider;
        :class:`IdentityError` when it cannot be reached (nothing recorded)."""
        ...

    def refresh(self, identification: IdnowIdentification) -> None:
        """Ask the provider for the result now; a failure leaves it as it was."""
        ...


# The sandboxes' paths before each provider became a package (the real
# providers' paths did not change: each package re-exports its class).
MOVED_PATHS = {
    "paraph.identity.providers.itsme_sandbox.SandboxItsmeProvider": (
        "paraph.identity.providers.itsme.sandbox.SandboxItsmeProvider"
    ),
    "paraph.identity.providers.idnow_sandbox.SandboxIdnowProvider": (
        "paraph.identity.providers.idnow.sandbox.SandboxIdnowProvider"
    ),
}


def _provider_class(method: str) -> type:
    try:
        path = settings.IDENTITY_PROVIDERS[method]
    except KeyError:
        raise IdentityError("unknown_method", f"unknown identity method {method!r}") from None
    cls: type = import_string(MOVED_PATHS.get(path, path))
    return cls


def get_identity_provider(method: str) -> IdentityProvider:
    """The provider configured for ``method``, as every provider can be used:
    ``start`` and ``complete``."""
    provider: IdentityProvider = _provider_class(method)()
    return provider


def get_asynchronous_provider(method: str) -> AsynchronousProvider:
    """The provider configured for ``method`` (IDnow), which must be
    asynchronous: a configured class that is not refuses to serve."""
    provider = _provider_class(method)()
    if not isinstance(provider, AsynchronousProvider):
        raise IdentityError("unknown_method", f"{method!r} is not an asynchronous provider")
    return provider
