"""The Belgian eID card, through the Web eID protocol.

``start`` sends the person to the card page, whose script talks to the Web
eID browser extension (or, in sandbox mode, to the virtual card reader:
``paraph.identity.providers.eid.views``); ``complete``
validates the authentication token the page posts back
(:mod:`paraph.identity.providers.eid.webeid`) against the challenge kept in the session,
and returns the card holder's claims. Real cards and the sandbox's virtual
cards go through the same validation; only the trusted CA differs.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from paraph.identity.providers import IdentityClaims, IdentityError
from paraph.identity.providers.eid import webeid
from paraph.identity.trust import eid_trust

logger = logging.getLogger(__name__)

PURPOSES = ("register", "login", "step_up")
PURPOSE_SESSION_KEY = "paraph.identity.eid.purpose"


def eid_config() -> webeid.WebEidConfig:
    """The validation settings: Paraph's origin and the one eID trust
    (:func:`paraph.identity.trust.eid_trust`: the configured eID CAs and
    roots, or, in sandbox mode without them, the virtual cards' and Paraph's
    own sandbox OCSP responder)."""
    trust = eid_trust()
    if not trust.cas:
        raise ImproperlyConfigured("PARAPH_EID_CAS is not set")
    ocsp_url = trust.ocsp_url
    if trust.sandbox:
        ocsp_url = ocsp_url or settings.BASE_URL + reverse("identity:eid_sandbox_ocsp")
    return webeid.WebEidConfig(
        origin=webeid.origin_from_url(settings.BASE_URL),
        trusted_cas=webeid.certificates_load([*trust.cas, *trust.roots]),
        disallowed_policies=trust.disallowed_policies,
        ocsp_url=ocsp_url,
        ocsp_timeout=trust.ocsp_timeout,
        ocsp_max_age=trust.ocsp_max_age,
        ocsp_nonce=trust.ocsp_nonce,
    )


def claims_from_identity(identity: webeid.EidIdentity, *, sandbox: bool) -> IdentityClaims:
    return IdentityClaims(
        method="eid",
        subject=identity.fingerprint,
        assurance="high",
        given_name=identity.given_name,
        family_name=identity.surname,
        national_number=identity.national_number,
        certificate_der=identity.certificate_der,
        document={"issuer": identity.issuer},
        sandbox=sandbox,
    )


class EidProvider:
    method = "eid"

    def start(self, request: HttpRequest, *, purpose: str) -> HttpResponse:
        """Remember the purpose and send the person to the card page
        (``paraph.identity.providers.eid.views.eid_page``), a page of its own so that
        reloading it never posts anything again."""
        if purpose not in PURPOSES:
            raise IdentityError("unknown_purpose", f"unknown purpose {purpose!r}")
        request.session[PURPOSE_SESSION_KEY] = purpose
        page = "identity:eid_register_page" if purpose == "register" else "identity:eid_page"
        return redirect(page)

    def complete(self, request: HttpRequest) -> IdentityClaims:
        """Validate the token in the request's JSON body (``{"authToken":
        {...}}``). The session's challenge is used up by this attempt,
        whatever its outcome."""
        try:
            challenge = webeid.challenge_take(request.session)
        except webeid.WebEidError as exc:
            logger.info("eID token refused: %s", exc)
            raise
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            raise webeid.WebEidError("token_malformed", "the body is not JSON") from None
        token = body.get("authToken") if isinstance(body, dict) else None
        if not isinstance(token, dict):
            raise webeid.WebEidError("token_malformed", "no authToken object")
        sandbox_ca = not settings.EID_CAS
        try:
            identity = webeid.token_validate(token, challenge=challenge, config=eid_config())
        except webeid.WebEidError as exc:
            logger.info("eID token refused: %s", exc)
            raise
        return claims_from_identity(identity, sandbox=bool(settings.SANDBOX and sandbox_ca))
