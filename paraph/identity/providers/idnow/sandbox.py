"""The sandbox IDnow: plays IDnow's outcomes offline, only in sandbox mode.

After the person picks country and document, a page labelled "Sandbox —
no real IDnow" offers the outcomes (happy path, review then success,
fraud suspicion confirmed, cancelled, and an expired document). Each one
posts IDnow-shaped results through the same webhook code as the real
IDnow (:func:`idnow_webhook_receive`, with the sandbox's secret), so the
state machine, the document checks, the pages and the e-mail are the
real ones.

The identity it returns is the one typed on the start page, as a holder
of the chosen country's document with a valid machine-readable zone
written by :mod:`paraph.identity.providers.idnow.mrz` (a passport: TD3; an identity card
or a residence permit: TD1). The demo defaults are a Dutch passport
holder who does not live in Belgium.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from paraph.core.context import Context
from paraph.identity.models import IdnowIdentification, RegistrationAttempt
from paraph.identity.providers import IdentityError
from paraph.identity.providers.idnow.mrz import mrz_build
from paraph.identity.providers.idnow.provider import IdnowChoice, IdnowProvider
from paraph.identity.providers.idnow.services import (
    SANDBOX_COMPANY_ID,
    WebhookAnswer,
    idnow_identification_create,
    idnow_transaction_number,
    idnow_webhook_authorization,
    idnow_webhook_receive,
    idnow_webhook_secret,
)
from paraph.identity.providers.idnow.sessions import (
    idnow_remember,
)

# The demo identity offered on the start page in sandbox mode.
DEMO_IDENTITY = {
    "country": "NL",
    "document_type": "passport",
    "given_name": "Sanne Johanna",
    "family_name": "de Vries",
    "birth_date": dt.date(1991, 4, 18),
    "email": "sanne.devries@example.nl",
}

# ISO 3166 alpha-2 -> the ICAO code written in an MRZ (the sandbox's
# countries; others fall back to the alpha-2 code padded with "<").
ICAO_CODES = {
    "AT": "AUT", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE", "DK": "DNK",
    "EE": "EST", "FI": "FIN", "FR": "FRA", "DE": "D", "GR": "GRC", "HU": "HUN",
    "IE": "IRL", "IT": "ITA", "LV": "LVA", "LT": "LTU", "LU": "LUX", "MT": "MLT",
    "NL": "NLD", "PL": "POL", "PT": "PRT", "RO": "ROU", "SK": "SVK", "SI": "SVN",
    "ES": "ESP", "SE": "SWE", "IS": "ISL", "LI": "LIE", "NO": "NOR", "CH": "CHE",
    "GB": "GBR", "US": "USA", "UA": "UKR", "TR": "TUR", "MA": "MAR",
}  # fmt: skip
IDNOW_TYPES = {
    "passport": "PASSPORT",
    "identity_card": "IDCARD",
    "residence_permit": "RESIDENCEPERMIT",
}
# Each button: the results IDnow would post, in order.
OUTCOMES: dict[str, tuple[str, ...]] = {
    "happy": ("SUCCESS",),
    "review": ("REVIEW_PENDING",),
    "fraud": ("FRAUD_SUSPICION_PENDING", "FRAUD_SUSPICION_CONFIRMED"),
    "cancel": ("CANCELED",),
    "expired": ("SUCCESS",),
}
# The reviewer's decision on a pending sandbox identification.
DECISIONS = {"approve": "SUCCESS", "fraud": "FRAUD_SUSPICION_CONFIRMED"}
SESSION_CHOICE_KEY = "paraph_idnow_sandbox_choice"


def sandbox_payload(
    identification: IdnowIdentification,
    choice: dict[str, Any],
    *,
    result: str,
    expired: bool = False,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """An IDnow result for ``identification``, with a document and MRZ
    made for the person in ``choice`` (as kept by :func:`choice_to_json`)."""
    today = today or timezone.localdate()
    birth = dt.date.fromisoformat(choice["birth_date"])
    expiry = today - dt.timedelta(days=30) if expired else today.replace(year=today.year + 7)
    country = choice["country"]
    icao = ICAO_CODES.get(country, country)
    passport = choice["document_type"] == "passport"
    number = "SB" + identification.transaction_number[-7:]
    lines = mrz_build(
        format="TD3" if passport else "TD1",
        document_code="P"
        if passport
        else ("IR" if choice["document_type"] != "identity_card" else "ID"),
        issuing_state=icao,
        surname=choice["family_name"],
        given_names=choice["given_name"],
        document_number=number,
        nationality=icao,
        birth_date=birth,
        sex="X",
        expiry_date=expiry,
    )
    ident_id = (identification.result or {}).get("identificationprocess", {}).get("id", "")
    return {
        "identificationprocess": {
            "result": result,
            "companyid": SANDBOX_COMPANY_ID,
            "id": ident_id,
            "transactionnumber": identification.transaction_number,
            "identificationtime": timezone.now().isoformat(),
            "type": "WEB",
            "reason": {"CANCELED": "Cancelled by the person (sandbox)"}.get(result, ""),
        },
        "userdata": {
            "firstname": {"value": choice["given_name"], "status": "MATCH"},
            "lastname": {"value": choice["family_name"], "status": "MATCH"},
            "birthday": {"value": birth.isoformat(), "status": "MATCH"},
            "nationality": {"value": country, "status": "MATCH"},
        },
        "identificationdocument": {
            "type": {"value": IDNOW_TYPES[choice["document_type"]]},
            "country": {"value": country},
            "number": {"value": number},
            "validuntil": {"value": expiry.isoformat()},
            "mrz": {"value": "\n".join(lines)},
        },
        "contactdata": {"email": {"value": choice["email"]}},
    }


def choice_to_json(choice: IdnowChoice) -> dict[str, str]:
    return {
        "country": choice.country,
        "document_type": choice.document_type,
        "given_name": choice.given_name,
        "family_name": choice.family_name,
        "birth_date": choice.birth_date.isoformat(),
        "email": choice.email,
    }


def sandbox_post(
    request: HttpRequest, identification: IdnowIdentification, payload: dict[str, Any]
) -> WebhookAnswer:
    """Post one result through the webhook's code, as IDnow would."""
    return idnow_webhook_receive(
        body=json.dumps(payload).encode(),
        authorization=idnow_webhook_authorization(idnow_webhook_secret()),
        context=Context.from_request(request),
        source="sandbox",
    )


class SandboxIdnowProvider(IdnowProvider):
    """IDnow played inside Paraph; refuses to work outside sandbox mode."""

    sandbox = True

    def begin(
        self, request: HttpRequest, *, choice: IdnowChoice, attempt: RegistrationAttempt | None
    ) -> HttpResponse:
        if not settings.SANDBOX:
            raise IdentityError("unavailable", _("The sandbox IDnow works only in sandbox mode."))
        txn = idnow_transaction_number()
        idnow_identification_create(
            transaction_number=txn,
            ident_id="SBX-" + secrets.token_hex(3).upper(),
            country=choice.country,
            document_type=choice.document_type,
            attempt=attempt,
            sandbox=True,
            context=Context.from_request(request),
        )
        request.session[SESSION_CHOICE_KEY] = choice_to_json(choice)
        response = redirect("identity:idnow_sandbox")
        idnow_remember(request, response, txn)
        return response

    def refresh(self, identification: IdnowIdentification) -> None:
        """Nothing to fetch: the sandbox posts its results as they happen."""
