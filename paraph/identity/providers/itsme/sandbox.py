"""A fake itsme inside Paraph, for the sandbox only.

``start`` sends the person to a page labelled "Sandbox — no real itsme"
that looks like itsme's "confirm in your app" screen, with a list of demo
identities; confirming there plays itsme's part: it issues a one-time
"authorization code" (the chosen identity and the flow's state, sealed
with a key derived from the secret key, valid 5 minutes) and sends the
browser to the callback, like itsme would. ``complete`` opens the code,
checks its state against the one kept in this session (single use) and
returns the identity's claims at the high level, as the real itsme does.
Editing the callback's URL gives nothing: a forged or altered code does
not open, and a code from another session or used twice finds no state.

Refuses to work unless ``settings.SANDBOX`` is on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from paraph.core.sealing import seal, unseal
from paraph.identity.providers import Address, IdentityClaims, IdentityError

STATE_SESSION_KEY = "paraph_sandbox_itsme_state"
CODE_TTL_SECONDS = 300
STATE_TTL_SECONDS = 600


@dataclass(frozen=True)
class SandboxIdentity:
    key: str
    given_name: str
    family_name: str
    national_number: str
    birth_date: dt.date
    email: str
    phone: str
    address: Address
    # What a tester can expect; shown on the sandbox page.
    note: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def subject(self) -> str:
        """A stable, opaque ``sub``, as itsme's pairwise identifiers are."""
        return (
            "sandbox-" + hashlib.sha256(f"itsme:{self.national_number}".encode()).hexdigest()[:32]
        )


# The demo people of ``paraph demo`` (already registered), two people in the
# customer file who have not registered yet, and one who is not in it.
SANDBOX_IDENTITIES: tuple[SandboxIdentity, ...] = (
    SandboxIdentity(
        key="anne",
        given_name="Anne",
        family_name="Martin",
        national_number="85073003328",
        birth_date=dt.date(1985, 7, 30),
        email="anne.martin@demo.paraph.be",
        phone="+32470123456",
        address=Address(
            street="Rue de la Loi",
            house_number="16",
            box="3",
            postal_code="1000",
            municipality="Bruxelles",
            formatted="Rue de la Loi 16 bte 3, 1000 Bruxelles",
        ),
        tags=("registered",),
    ),
    SandboxIdentity(
        key="jan",
        given_name="Jan",
        family_name="Peeters",
        national_number="90020199704",
        birth_date=dt.date(1990, 2, 1),
        email="jan.peeters@demo.paraph.be",
        phone="+32470654321",
        address=Address(
            street="Meir",
            house_number="50",
            postal_code="2000",
            municipality="Antwerpen",
            formatted="Meir 50, 2000 Antwerpen",
        ),
        tags=("registered",),
    ),
    SandboxIdentity(
        key="marie",
        given_name="Marie",
        family_name="Dubois",
        national_number="90021400227",
        birth_date=dt.date(1990, 2, 14),
        email="marie.dubois@example.be",
        phone="+32470555666",
        address=Address(
            street="Rue Haute",
            house_number="120",
            postal_code="1000",
            municipality="Bruxelles",
            formatted="Rue Haute 120, 1000 Bruxelles",
        ),
        tags=("customer", "national_number"),
    ),
    SandboxIdentity(
        key="pieter",
        given_name="Pieter",
        family_name="Claes",
        national_number="88041212335",
        birth_date=dt.date(1988, 4, 12),
        email="pieter.claes@example.be",
        phone="+32470111222",
        address=Address(
            street="Kerkstraat",
            house_number="12",
            box="3",
            postal_code="9000",
            municipality="Gent",
            formatted="Kerkstraat 12 bus 3, 9000 Gent",
        ),
        tags=("customer", "address"),
    ),
    SandboxIdentity(
        key="lea",
        given_name="Léa",
        family_name="Wouters",
        national_number="95062312459",
        birth_date=dt.date(1995, 6, 23),
        email="lea.wouters@example.be",
        phone="+32470333444",
        address=Address(
            street="Boulevard d'Avroy",
            house_number="7",
            postal_code="4000",
            municipality="Liège",
            formatted="Boulevard d'Avroy 7, 4000 Liège",
        ),
        tags=("new_customer",),
    ),
)
IDENTITIES_BY_KEY = {identity.key: identity for identity in SANDBOX_IDENTITIES}


def _require_sandbox() -> None:
    if not settings.SANDBOX:
        raise IdentityError("sandbox_off", _("The sandbox itsme exists only in sandbox mode."))


def sandbox_state_get(request: HttpRequest, state: str) -> dict[str, object] | None:
    """The pending flow ``state`` names in this session, if it is still fresh."""
    pending = request.session.get(STATE_SESSION_KEY)
    if not isinstance(pending, dict) or not state:
        return None
    if not hmac.compare_digest(str(pending.get("state", "")), state):
        return None
    if time.time() - float(pending.get("at", 0)) > STATE_TTL_SECONDS:
        return None
    return pending


def sandbox_authorize(*, request: HttpRequest, state: str, identity_key: str | None) -> str:
    """Play itsme's part on the confirmation page: the callback URL with a
    sealed one-time code for ``identity_key``, or with ``error=cancelled``
    when ``identity_key`` is None. Refuses an unknown state or identity."""
    _require_sandbox()
    if sandbox_state_get(request, state) is None:
        raise IdentityError("state", _("This itsme request has ended. Please start again."))
    callback = reverse("identity:complete", args=["itsme"])
    if identity_key is None:
        return f"{callback}?{urlencode({'error': 'cancelled', 'state': state})}"
    if identity_key not in IDENTITIES_BY_KEY:
        raise IdentityError("identity", _("Choose one of the demo identities."))
    code = seal({"identity": identity_key, "state": state, "nonce": secrets.token_hex(8)})
    return f"{callback}?{urlencode({'code': code, 'state': state})}"


def claims_for(identity: SandboxIdentity) -> IdentityClaims:
    return IdentityClaims(
        method="itsme",
        subject=identity.subject,
        assurance="high",
        given_name=identity.given_name,
        family_name=identity.family_name,
        national_number=identity.national_number,
        birth_date=identity.birth_date,
        email=identity.email,
        phone=identity.phone,
        address=identity.address,
        nationality="BE",
        sandbox=True,
    )


class SandboxItsmeProvider:
    """The sandbox itsme (see the module's docstring)."""

    method = "itsme"

    def start(self, request: HttpRequest, *, purpose: str) -> HttpResponse:
        _require_sandbox()
        state = secrets.token_urlsafe(24)
        request.session[STATE_SESSION_KEY] = {
            "state": state,
            "purpose": purpose,
            "at": int(time.time()),
        }
        return HttpResponseRedirect(
            f"{reverse('identity:sandbox_itsme')}?{urlencode({'state': state})}"
        )

    def complete(self, request: HttpRequest) -> IdentityClaims:
        _require_sandbox()
        state = request.GET.get("state", "")
        pending = sandbox_state_get(request, state)
        # Single use: whatever happens next, this state is spent.
        request.session.pop(STATE_SESSION_KEY, None)
        if pending is None:
            raise IdentityError(
                "state",
                _("This itsme confirmation does not belong to this session. Please start again."),
            )
        if request.GET.get("error") == "cancelled":
            raise IdentityError(
                "cancelled", _("You cancelled in the itsme app. Nothing was shared.")
            )
        try:
            payload = unseal(request.GET.get("code", ""), max_age_seconds=CODE_TTL_SECONDS)
        except ValueError:
            raise IdentityError(
                "code", _("The itsme confirmation is not valid or has expired. Please start again.")
            ) from None
        if not hmac.compare_digest(str(payload.get("state", "")), state):
            raise IdentityError(
                "code", _("The itsme confirmation does not match. Please start again.")
            )
        identity = IDENTITIES_BY_KEY.get(str(payload.get("identity")))
        if identity is None:
            raise IdentityError("code", _("Unknown demo identity."))
        return claims_for(identity)
