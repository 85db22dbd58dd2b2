"""The real itsme relying party (OpenID Connect, itsme's profile).

``start`` sends the person to itsme with a request object that Paraph signs
(RS256, its current signing key) and then encrypts for itsme (RSA-OAEP-256);
the authorization code flow uses PKCE (S256). ``complete`` runs on the
callback: it checks the state against the pending flows in the server-side
session (single use, 10 minutes), redeems the code at the token endpoint
with a ``private_key_jwt`` client assertion, and validates the id_token,
which itsme always signs and then encrypts for Paraph: decrypt it with
Paraph's encryption key (by kid), verify itsme's signature (its JWK Set,
by kid), then the issuer, audience, nonce, expiry, issue time and ``acr``.
The identity claims come from the id_token or, failing that, from the
userinfo endpoint (JSON, or a JWT that may be signed and encrypted).

Everything the person could notice going wrong ends as an
:class:`~paraph.identity.providers.IdentityError` whose ``code`` names the
check that failed; nothing else escapes ``start`` or ``complete``.

References: belgianmobileid.github.io/doc (authentication, JOSE, claims) and
docs/registration.md.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from paraph.identity.providers import IdentityClaims
from paraph.identity.providers.itsme.claims import identity_claims
from paraph.identity.providers.itsme.oidc import (
    ACR_ADVANCED,
    ACR_BASIC,
    ASSERTION_TYPE,
    CALLBACK_URL_NAME,
    CLAIM_NATIONAL_NUMBER,
    FLOW_TTL_SECONDS,
    ID_TOKEN_CLAIMS,
    MAX_PENDING_FLOWS,
    SCOPES,
    SESSION_KEY,
    ItsmeSettings,
    ProviderKeys,
    ProviderMetadata,
    client_assertion,
    discover,
    itsme_refusal,
    request_object,
    token_decrypt,
    token_verify,
    validate_id_token,
)

# --- The provider -----------------------------------------------------------------


def _now() -> int:
    return int(timezone.now().timestamp())


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class ItsmeProvider:
    """itsme, the real one. Chosen with ``PARAPH_ITSME_PROVIDER`` (the
    default in production)."""

    method = "itsme"

    def __init__(self, config: ItsmeSettings | None = None) -> None:
        self.config = config or ItsmeSettings.from_settings()

    # The Protocol ------------------------------------------------------------

    def start(self, request: HttpRequest, *, purpose: str) -> HttpResponse:
        """Redirect to itsme. ``purpose`` "step_up" asks for acr_advanced
        (the itsme code), anything else for acr_basic."""
        config = self.config
        if not (config.client_id and config.service_code):
            raise itsme_refusal(
                "configuration", "PARAPH_ITSME_CLIENT_ID / SERVICE_CODE are not set"
            )
        metadata = discover(config)
        keys = ProviderKeys(metadata, config.timeout)
        acr = ACR_ADVANCED if purpose == "step_up" else ACR_BASIC
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        now = _now()
        scope = " ".join(["openid", f"service:{config.service_code}", *SCOPES[1:]])
        claims: dict[str, Any] = {
            "iss": config.client_id,
            "aud": metadata.issuer,
            "client_id": config.client_id,
            "response_type": "code",
            "scope": scope,
            "redirect_uri": self.redirect_uri(request),
            "state": state,
            "nonce": nonce,
            "code_challenge": _s256(verifier),
            "code_challenge_method": "S256",
            "acr_values": acr,
            "claims": {
                "id_token": {"acr": {"essential": True}, **dict.fromkeys(ID_TOKEN_CLAIMS)},
            },
            "ui_locales": (get_language() or "fr")[:2],
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        }
        token = request_object(claims, metadata=metadata, keys=keys)
        self._remember(
            request,
            state,
            {"nonce": nonce, "verifier": verifier, "acr": acr, "purpose": purpose, "at": now},
        )
        query = urlencode(
            {
                "client_id": config.client_id,
                "response_type": "code",
                "scope": scope,
                "request": token,
            }
        )
        return HttpResponseRedirect(f"{metadata.authorization_endpoint}?{query}")

    def complete(self, request: HttpRequest) -> IdentityClaims:
        """Finish on the callback: the verified claims, or IdentityError."""
        config = self.config
        params = request.GET
        flow = self._take(request, params.get("state"))
        # RFC 9207: a response that names another issuer is a mix-up attack.
        if params.get("iss") and params["iss"].rstrip("/") != config.issuer:
            raise itsme_refusal("provider_mismatch", f"the response comes from {params['iss']!r}")
        if params.get("error"):
            refusal = "cancelled" if params["error"] == "access_denied" else "provider_error"
            detail = str(params.get("error_description", ""))[:200]
            raise itsme_refusal(refusal, f"{params['error']}: {detail}")
        code = params.get("code")
        if not code:
            raise itsme_refusal("provider_error", "the callback has no code")
        metadata = discover(config)
        keys = ProviderKeys(metadata, config.timeout)
        tokens = self._redeem(request, metadata, code=code, verifier=flow["verifier"])
        if not tokens.get("id_token"):
            raise itsme_refusal("id_token_missing", "the token response has no id_token")
        claims = validate_id_token(
            tokens["id_token"],
            keys=keys,
            issuer=metadata.issuer,
            client_id=config.client_id,
            nonce=flow["nonce"],
            acr_required=flow["acr"],
            now=_now(),
        )
        if not claims.get(CLAIM_NATIONAL_NUMBER) and metadata.userinfo_endpoint:
            extra = self._userinfo(metadata, keys, str(tokens.get("access_token") or ""))
            if extra.get("sub") != claims["sub"]:
                raise itsme_refusal("userinfo_subject", "userinfo is about another subject")
            claims = {**extra, **claims}
        return identity_claims(claims)

    # Helpers -----------------------------------------------------------------------

    def redirect_uri(self, request: HttpRequest) -> str:
        if self.config.redirect_uri:
            return self.config.redirect_uri
        return request.build_absolute_uri(reverse(CALLBACK_URL_NAME))

    @staticmethod
    def _remember(request: HttpRequest, state: str, flow: dict[str, Any]) -> None:
        flows: dict[str, Any] = dict(request.session.get(SESSION_KEY) or {})
        now = flow["at"]
        flows = {s: f for s, f in flows.items() if now - f["at"] < FLOW_TTL_SECONDS}
        # A few tabs may run a flow each; the oldest goes first beyond that.
        while len(flows) >= MAX_PENDING_FLOWS:
            flows.pop(min(flows, key=lambda s: flows[s]["at"]))
        flows[state] = flow
        request.session[SESSION_KEY] = flows

    @staticmethod
    def _take(request: HttpRequest, state: str | None) -> dict[str, Any]:
        """The pending flow for ``state``, removed from the session whatever
        happens next (a state works once)."""
        if not state:
            raise itsme_refusal("state_missing", "the callback has no state")
        flows: dict[str, Any] = dict(request.session.get(SESSION_KEY) or {})
        flow = None
        for known in list(flows):
            if secrets.compare_digest(known.encode(), state.encode()):
                flow = flows.pop(known)
        request.session[SESSION_KEY] = flows
        if flow is None:
            raise itsme_refusal("state_mismatch", "no pending itsme flow has this state")
        if _now() - flow["at"] >= FLOW_TTL_SECONDS:
            raise itsme_refusal("state_expired", "the itsme flow is older than 10 minutes")
        return flow

    def _post(self, url: str, data: dict[str, str]) -> httpx.Response:
        try:
            with httpx.Client(timeout=self.config.timeout, follow_redirects=False) as http:
                return http.post(url, data=data, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise itsme_refusal("provider_unreachable", f"token endpoint: {exc!r}") from None

    def _redeem(
        self, request: HttpRequest, metadata: ProviderMetadata, *, code: str, verifier: str
    ) -> dict[str, Any]:
        response = self._post(
            metadata.token_endpoint,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri(request),
                "code_verifier": verifier,
                "client_id": self.config.client_id,
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(
                    client_id=self.config.client_id,
                    token_endpoint=metadata.token_endpoint,
                    now=_now(),
                ),
            },
        )
        if response.status_code >= 500:
            raise itsme_refusal(
                "provider_unreachable", f"token endpoint: HTTP {response.status_code}"
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            detail = body.get("error_description") if isinstance(body, dict) else None
            raise itsme_refusal(
                "token_refused", f"HTTP {response.status_code} {error}: {str(detail)[:200]}"
            )
        return body

    def _userinfo(
        self, metadata: ProviderMetadata, keys: ProviderKeys, access_token: str
    ) -> dict[str, Any]:
        assert metadata.userinfo_endpoint
        try:
            with httpx.Client(timeout=self.config.timeout, follow_redirects=False) as http:
                response = http.get(
                    metadata.userinfo_endpoint,
                    headers={
                        "Authorization": f"Bearer {access_token}",
                        "Accept": "application/jwt, application/json",
                    },
                )
        except httpx.HTTPError as exc:
            raise itsme_refusal("provider_unreachable", f"userinfo: {exc!r}") from None
        if response.status_code != 200:
            raise itsme_refusal("userinfo_invalid", f"userinfo: HTTP {response.status_code}")
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if content_type == "application/jwt":
            token = response.text.strip()
            if token.count(".") == 4:
                token = token_decrypt(token, what="userinfo")
            claims = token_verify(token, keys, what="userinfo")
            if claims.get("iss") != metadata.issuer:
                raise itsme_refusal("userinfo_invalid", f"userinfo issuer {claims.get('iss')!r}")
            audience = claims.get("aud", self.config.client_id)
            if self.config.client_id not in (
                audience if isinstance(audience, list) else [audience]
            ):
                raise itsme_refusal("userinfo_invalid", f"userinfo audience {audience!r}")
            return claims
        try:
            claims = response.json()
        except ValueError:
            raise itsme_refusal("userinfo_invalid", "userinfo is neither JSON nor a JWT") from None
        if not isinstance(claims, dict):
            raise itsme_refusal("userinfo_invalid", "userinfo is not a JSON object")
        return claims


__all__ = ["ItsmeProvider"]
