"""IDnow: video or photo identification for people who do not live in
Belgium (RG-10 to RG-13).

The flow: the registration's ``start`` sends the person to the page where
they pick their document's country and type from the accepted list
(RG-12) and are told a webcam or camera is needed (RG-11); ``begin``
creates the identification at IDnow and sends them there; IDnow sends
them back to the return page and posts the result to the webhook (with
a polling fallback); the status page follows the result, and once it is
a success, ``identity:complete`` calls :meth:`IdnowProvider.complete`.

RG-13: IDnow serves registration only. A person registered with IDnow
logs in with the SMS code, like everyone; no itsme or eID log-in path is
offered to them, and ``start`` refuses any purpose but "register" (a new
phone number goes through the contact centre). Their assurance is
eIDAS *substantial* (IDnow's VideoIdent), never high: the claims say
``assurance="substantial"``, and actions that need high assurance ask
for itsme or the eID card.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from paraph.accounts.models import AssuranceLevel
from paraph.core.belgium import national_number_normalize
from paraph.core.context import Context
from paraph.identity.models import IdnowIdentification, RegistrationAttempt
from paraph.identity.providers import IdentityClaims, IdentityError, IdentityPending
from paraph.identity.providers.idnow.checks import (
    IdnowPayload,
)
from paraph.identity.providers.idnow.client import IdnowClient, IdnowError
from paraph.identity.providers.idnow.mrz import MrzError, mrz_parse
from paraph.identity.providers.idnow.services import (
    idnow_identification_create,
    idnow_outcome,
    idnow_refusal,
    idnow_transaction_number,
)
from paraph.identity.providers.idnow.sessions import (
    idnow_identification_for_request,
    idnow_remember,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdnowChoice:
    """What the person chose and typed before IDnow starts."""

    country: str
    document_type: str
    given_name: str
    family_name: str
    birth_date: dt.date
    email: str
    language: str

    def idnow_data(self) -> dict[str, str]:
        """The person's data as IDnow's start call takes it."""
        return {
            "firstname": self.given_name,
            "lastname": self.family_name,
            "birthday": self.birth_date.isoformat(),
            "email": self.email,
            "preferredLang": self.language,
        }


def _national_number(identification: IdnowIdentification) -> str | None:
    """A Belgian national number, only when a Belgian document's MRZ
    carries one (TD1 middle line, TD3 personal number) and it is valid."""
    lines = (identification.document or {}).get("mrz") or []
    if not lines:
        return None
    try:
        zone = mrz_parse(lines, today=identification.updated_at.date())
    except MrzError:
        return None
    if zone.issuing_state != "BEL":
        return None
    for candidate in (zone.optional_data_2, zone.optional_data):
        try:
            return national_number_normalize(candidate.replace(" ", ""))
        except ValidationError:
            continue
    return None


def idnow_claims(identification: IdnowIdentification) -> IdentityClaims:
    """The claims of a successful, checked identification; otherwise
    :class:`IdentityPending` (not decided yet) or :class:`IdentityError`
    (refused, failed, or already used for a registration)."""
    outcome = idnow_outcome(identification)
    if outcome in ("waiting", "pending"):
        raise IdentityPending
    if outcome != "succeeded":
        code, message = idnow_refusal(identification)
        raise IdentityError(code.lower(), message)
    if identification.person_id is not None:
        raise IdentityError("already_used", _("This identification was already used to register."))
    result = identification.result or {}
    payload = IdnowPayload.parse(result)
    document = identification.document or {}
    return IdentityClaims(
        method="idnow",
        subject=payload.ident_id or identification.transaction_number,
        assurance=AssuranceLevel.SUBSTANTIAL,
        given_name=payload.firstname,
        family_name=payload.lastname,
        national_number=_national_number(identification),
        birth_date=dt.date.fromisoformat(payload.birthday[:10]),
        email=payload.email or None,
        nationality=payload.nationality or None,
        document={
            key: str(document[key_in])
            for key, key_in in (
                ("type", "type"),
                ("number", "number"),
                ("country", "country"),
                ("expiry", "valid_until"),
            )
            if document.get(key_in)
        },
        sandbox=identification.sandbox,
    )


class IdnowProvider:
    """The real IDnow, through :class:`IdnowClient`."""

    method = "idnow"
    sandbox = False

    def start(self, request: HttpRequest, *, purpose: str) -> HttpResponse:
        """The page where the person picks country and document (RG-12).
        Refuses every purpose but registration (RG-13)."""
        if purpose != "register":
            raise IdentityError(
                "register_only",
                _(
                    "IDnow serves registration only. If you registered with IDnow, log in "
                    "with the code we send by SMS; for a new phone number, call the "
                    "contact centre."
                ),
            )
        return redirect("identity:idnow_start")

    def begin(
        self, request: HttpRequest, *, choice: IdnowChoice, attempt: RegistrationAttempt | None
    ) -> HttpResponse:
        """Create the identification at IDnow and send the person there.
        Raises :class:`IdentityError` when IDnow cannot be reached or
        refuses (nothing is recorded then)."""
        client = IdnowClient()
        txn = idnow_transaction_number()
        try:
            ident_id = client.start(txn, choice.idnow_data())
        except IdnowError as exc:
            logger.warning("IDnow start failed: %s (%s)", exc.message, exc.code)
            raise IdentityError(
                "unavailable",
                _("IDnow cannot be reached at the moment. Please try again in a few minutes."),
            ) from exc
        idnow_identification_create(
            transaction_number=txn,
            ident_id=ident_id,
            country=choice.country,
            document_type=choice.document_type,
            attempt=attempt,
            sandbox=False,
            context=Context.from_request(request),
        )
        from paraph.identity.providers.idnow.tasks import idnow_poll_schedule

        transaction.on_commit(lambda: idnow_poll_schedule(transaction_number=txn, attempt=0))
        response = redirect(client.person_url(txn))
        idnow_remember(request, response, txn)
        return response

    def refresh(self, identification: IdnowIdentification) -> None:
        """Ask IDnow for the result now (the person is back before the
        webhook): one poll; a failure only leaves the status as it was."""
        if identification.status in ("CREATED", "STARTED"):
            from paraph.identity.providers.idnow.tasks import idnow_poll_once

            idnow_poll_once(transaction_number=identification.transaction_number)

    def complete(self, request: HttpRequest) -> IdentityClaims:
        identification = idnow_identification_for_request(request)
        if identification is None or identification.sandbox != self.sandbox:
            raise IdentityError(
                "no_identification",
                _("We cannot find your identification in this browser. Please start again."),
            )
        return idnow_claims(identification)
