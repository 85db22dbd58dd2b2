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
docs in /work/shared/design/REFERENCES.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from paraph.core.belgium import national_number_normalize
from paraph.identity.providers import Address, IdentityClaims, IdentityError
from paraph.identity.providers.itsme import jwks as client_keys

logger = logging.getLogger("paraph.identity.itsme")

ACR_BASIC = "http://itsme.services/v2/claim/acr_basic"
ACR_ADVANCED = "http://itsme.services/v2/claim/acr_advanced"
_ACR_LEVEL = {ACR_BASIC: 1, ACR_ADVANCED: 2}
CLAIM_NATIONAL_NUMBER = "http://itsme.services/v2/claim/BENationalNumber"
CLAIM_EID_SERIAL = "http://itsme.services/v2/claim/BEeidSn"
SCOPES = ("openid", "profile", "email", "phone", "address", "eid")
# Asked for in the id_token (itsme's advice: no userinfo round trip needed).
ID_TOKEN_CLAIMS = (
    "given_name",
    "family_name",
    "name",
    "birthdate",
    "email",
    "phone_number",
    "address",
    CLAIM_NATIONAL_NUMBER,
    CLAIM_EID_SERIAL,
)
CALLBACK_URL_NAME = "identity:itsme_callback"
SESSION_KEY = "identity.itsme.flows"
FLOW_TTL_SECONDS = 600
MAX_PENDING_FLOWS = 5
CLOCK_LEEWAY_SECONDS = 60
MAX_ID_TOKEN_AGE_SECONDS = 600
DISCOVERY_CACHE_SECONDS = 3600
SIGNING_ALGS = ("RS256",)
KEY_ENCRYPTION_ALGS = ("RSA-OAEP-256", "RSA-OAEP")
CONTENT_ENCRYPTION_ALGS = (
    "A128CBC-HS256",
    "A256CBC-HS512",
    "A192CBC-HS384",
    "A128GCM",
    "A256GCM",
    "A192GCM",
)
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _error(code: str) -> IdentityError:
    """The refusal for ``code``, with a message a person can act on."""
    if code == "provider_unreachable":
        message = _("itsme cannot be reached at the moment. Please try again in a few minutes.")
    elif code == "cancelled":
        message = _("The confirmation in itsme was cancelled. You can start again.")
    elif code in ("state_expired", "state_missing", "state_mismatch"):
        message = _("This itsme confirmation has expired or was already used. Please start again.")
    elif code == "configuration":
        message = _("Logging in with itsme is not available at the moment.")
    else:
        message = _("itsme could not confirm your identity. Please start again.")
    return IdentityError(code, message)


def _refuse(code: str, detail: str) -> IdentityError:
    logger.warning("itsme refused: %s: %s", code, detail)
    return _error(code)


# --- Configuration and discovery ---------------------------------------------


@dataclass(frozen=True)
class ItsmeSettings:
    client_id: str
    service_code: str
    issuer: str
    redirect_uri: str
    timeout: float

    @classmethod
    def from_settings(cls) -> ItsmeSettings:
        return cls(
            client_id=settings.ITSME_CLIENT_ID,
            service_code=settings.ITSME_SERVICE_CODE,
            issuer=settings.ITSME_ISSUER.rstrip("/"),
            redirect_uri=settings.ITSME_REDIRECT_URI,
            timeout=float(settings.ITSME_TIMEOUT),
        )


@dataclass(frozen=True)
class ProviderMetadata:
    """What Paraph uses from itsme's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    request_object_encryption_enc: str

    @classmethod
    def parse(cls, expected_issuer: str, document: Mapping[str, Any]) -> ProviderMetadata:
        try:
            issuer = str(document["issuer"]).rstrip("/")
            endpoints = {
                name: str(document[name])
                for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            }
        except (KeyError, TypeError) as exc:
            raise _refuse("discovery_invalid", f"discovery document lacks {exc}") from None
        if issuer != expected_issuer:
            raise _refuse("discovery_invalid", f"issuer {issuer!r} is not {expected_issuer!r}")
        algs = document.get("request_object_encryption_alg_values_supported")
        if algs is not None and "RSA-OAEP-256" not in algs:
            raise _refuse("discovery_invalid", f"request objects cannot be encrypted: {algs}")
        encs = document.get("request_object_encryption_enc_values_supported") or ["A128CBC-HS256"]
        enc = next((e for e in CONTENT_ENCRYPTION_ALGS if e in encs), None)
        if enc is None:
            raise _refuse("discovery_invalid", f"no usable request object enc in {encs}")
        userinfo = document.get("userinfo_endpoint")
        return cls(
            issuer=issuer,
            userinfo_endpoint=str(userinfo) if userinfo else None,
            request_object_encryption_enc=enc,
            **endpoints,
        )


def _cache_key(kind: str, url: str) -> str:
    return f"identity:itsme:{kind}:" + hashlib.sha256(url.encode()).hexdigest()[:32]


def _get_json(url: str, *, timeout: float, what: str) -> Any:
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as http:
            response = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise _refuse("provider_unreachable", f"{what} {url}: {exc!r}") from None
    if response.status_code != 200:
        raise _refuse("provider_unreachable", f"{what} {url}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise _refuse("discovery_invalid", f"{what} {url} is not JSON") from None


def discover(config: ItsmeSettings) -> ProviderMetadata:
    """itsme's discovery document, cached for an hour; a clear
    ``provider_unreachable`` when it cannot be fetched in time."""
    url = f"{config.issuer}/.well-known/openid-configuration"
    document = cache.get(_cache_key("discovery", url))
    if document is None:
        document = _get_json(url, timeout=config.timeout, what="discovery")
        metadata = ProviderMetadata.parse(config.issuer, document)
        cache.set(_cache_key("discovery", url), document, DISCOVERY_CACHE_SECONDS)
        return metadata
    return ProviderMetadata.parse(config.issuer, document)


class ProviderKeys:
    """itsme's JWK Set, cached; fetched again once when a kid is unknown
    (itsme rotated its keys)."""

    def __init__(self, metadata: ProviderMetadata, timeout: float) -> None:
        self.url = metadata.jwks_uri
        self.timeout = timeout
        self._refreshed = False

    def _load(self, *, fresh: bool) -> list[RSAKey]:
        key = _cache_key("jwks", self.url)
        document = None if fresh else cache.get(key)
        if document is None:
            document = _get_json(self.url, timeout=self.timeout, what="JWK Set")
            cache.set(key, document, DISCOVERY_CACHE_SECONDS)
        keys = []
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if isinstance(jwk, dict) and jwk.get("kty") == "RSA":
                try:
                    keys.append(RSAKey.import_key(jwk))
                except (JoseError, ValueError, TypeError):
                    logger.warning("itsme JWK Set: a key could not be read: kid=%s", jwk.get("kid"))
        return keys

    def find(self, use: str, kid: str | None) -> list[RSAKey]:
        """Keys for ``use`` ("sig" or "enc") matching ``kid`` (any, without one)."""
        for fresh in (False, True):
            if fresh and self._refreshed:
                break
            keys = [k for k in self._load(fresh=fresh) if k.get("use") in (None, use)]
            if kid is not None:
                keys = [k for k in keys if k.kid == kid]
            if keys:
                return keys
            self._refreshed = fresh or self._refreshed
        return []


# --- Paraph's side of the JOSE work -------------------------------------------


def _sign(claims: dict[str, Any]) -> str:
    key = client_keys.signing_key()
    header = {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
    return jws.serialize_compact(header, json.dumps(claims), key, algorithms=["RS256"])


def request_object(
    claims: dict[str, Any], *, metadata: ProviderMetadata, keys: ProviderKeys
) -> str:
    """``claims`` signed with Paraph's key, then encrypted for itsme's
    encryption key (a nested JWT, cty JWT)."""
    candidates = [k for k in keys.find("enc", None) if k.get("alg") in (None, "RSA-OAEP-256")]
    if not candidates:
        raise _refuse("provider_keys_invalid", "itsme publishes no RSA encryption key")
    target = candidates[0]
    header = {
        "alg": "RSA-OAEP-256",
        "enc": metadata.request_object_encryption_enc,
        "cty": "JWT",
    }
    if target.kid:
        header["kid"] = target.kid
    return jwe.encrypt_compact(
        header,
        _sign(claims),
        target,
        algorithms=["RSA-OAEP-256", metadata.request_object_encryption_enc],
    )


def client_assertion(*, client_id: str, token_endpoint: str, now: int) -> str:
    """The ``private_key_jwt`` assertion: iss = sub = client_id, aud = the
    token endpoint, a fresh jti, valid for one minute."""
    return _sign(
        {
            "iss": client_id,
            "sub": client_id,
            "aud": token_endpoint,
            "jti": secrets.token_urlsafe(24),
            "iat": now,
            "exp": now + 60,
        }
    )


def _decrypt(token: str, *, what: str) -> str:
    """Decrypt a JWE for Paraph with its encryption key named by ``kid``
    (the current one, or a retired one still in its grace period)."""
    try:
        header = json.loads(base64.urlsafe_b64decode(_pad(token.split(".")[0])))
    except ValueError:
        raise _refuse(f"{what}_undecryptable", "the JWE header is not JSON") from None
    if not isinstance(header, dict):
        raise _refuse(f"{what}_undecryptable", "the JWE header is not an object")
    alg, enc = header.get("alg"), header.get("enc")
    if alg not in KEY_ENCRYPTION_ALGS or enc not in CONTENT_ENCRYPTION_ALGS:
        raise _refuse(f"{what}_undecryptable", f"unexpected JWE algorithms {alg}/{enc}")
    ours = client_keys.decryption_keys()
    kid = header.get("kid")
    candidates = [ours[kid]] if kid in ours else ([] if kid else list(ours.values()))
    if not candidates:
        raise _refuse(f"{what}_undecryptable", f"encrypted for an unknown key (kid={kid!r})")
    # Claims replicated as header parameters (iss, aud: RFC 7519, 5.3) are
    # allowed; a "crit" naming something unknown is still refused.
    registry = jwe.JWERegistry(algorithms=[alg, enc], strict_check_header=False)
    failure = "no key"
    for key in candidates:
        try:
            plaintext = jwe.decrypt_compact(token, key, registry=registry).plaintext
        except (JoseError, ValueError) as exc:
            failure = repr(exc)
            continue
        if plaintext is not None:
            return plaintext.decode("utf-8", errors="replace")
    raise _refuse(f"{what}_undecryptable", f"decryption failed (kid={kid!r}): {failure}")


def _pad(segment: str) -> str:
    return segment + "=" * (-len(segment) % 4)


def _verify(token: str, keys: ProviderKeys, *, what: str) -> dict[str, Any]:
    """Verify itsme's signature on a JWS and return its claims."""
    try:
        header = json.loads(base64.urlsafe_b64decode(_pad(token.split(".")[0])))
    except ValueError:
        raise _refuse(f"{what}_signature", "the JWS header is not JSON") from None
    if not isinstance(header, dict) or header.get("alg") not in SIGNING_ALGS:
        alg = header.get("alg") if isinstance(header, dict) else None
        raise _refuse(f"{what}_signature", f"signature algorithm {alg!r} is not accepted")
    candidates = keys.find("sig", header.get("kid"))
    if not candidates:
        raise _refuse(f"{what}_signature", f"signed by an unknown key (kid={header.get('kid')!r})")
    registry = jws.JWSRegistry(algorithms=list(SIGNING_ALGS), strict_check_header=False)
    for key in candidates:
        try:
            payload = jws.deserialize_compact(token, key, registry=registry).payload
        except (JoseError, ValueError):
            continue
        try:
            claims = json.loads(payload)
        except ValueError:
            raise _refuse(f"{what}_signature", "the signed payload is not JSON") from None
        if not isinstance(claims, dict):
            raise _refuse(f"{what}_signature", "the signed payload is not a JSON object")
        return claims
    raise _refuse(f"{what}_signature", f"the signature does not verify (kid={header.get('kid')!r})")


def validate_id_token(
    token: str,
    *,
    keys: ProviderKeys,
    issuer: str,
    client_id: str,
    nonce: str,
    acr_required: str,
    now: int,
) -> dict[str, Any]:
    """The id_token's claims, once every check has passed.

    Refuses (``IdentityError.code``): ``id_token_not_encrypted`` (a bare JWS),
    ``id_token_undecryptable``, ``id_token_signature``, ``id_token_issuer``,
    ``id_token_audience``, ``id_token_expired``, ``id_token_issued_at`` (in
    the future, or older than ten minutes), ``id_token_nonce``,
    ``id_token_subject`` and ``acr_insufficient``.
    """
    if not isinstance(token, str) or token.count(".") != 4:
        raise _refuse("id_token_not_encrypted", "the id_token is not a JWE")
    inner = _decrypt(token, what="id_token")
    if inner.count(".") != 2:
        raise _refuse("id_token_signature", "the decrypted id_token is not a signed JWT")
    claims = _verify(inner, keys, what="id_token")

    if claims.get("iss") != issuer:
        raise _refuse("id_token_issuer", f"issuer {claims.get('iss')!r}")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise _refuse("id_token_audience", f"audience {audience!r}")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise _refuse("id_token_audience", f"several audiences and azp {claims.get('azp')!r}")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + CLOCK_LEEWAY_SECONDS <= now:
        raise _refuse("id_token_expired", f"exp {exp!r}, now {now}")
    if (
        not isinstance(iat, int | float)
        or iat > now + CLOCK_LEEWAY_SECONDS
        or iat < now - MAX_ID_TOKEN_AGE_SECONDS
    ):
        raise _refuse("id_token_issued_at", f"iat {iat!r}, now {now}")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise _refuse("id_token_nonce", "the nonce is not the one this flow sent")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _refuse("id_token_subject", "no sub")
    acr = claims.get("acr")
    if _ACR_LEVEL.get(str(acr), 0) < _ACR_LEVEL[acr_required]:
        raise _refuse("acr_insufficient", f"acr {acr!r}, required {acr_required}")
    return claims


# --- Claims ----------------------------------------------------------------------

_BOX = r"(?:bus|bte|boîte|boite|box|bt|b)\.?"
_STREET = re.compile(
    rf"^(?P<street>.+?)[\s,]+(?P<number>\d+(?:\s?[A-Za-z](?![A-Za-z]))?(?:-\d+[A-Za-z]?)?)"
    rf"(?:\s*/\s*(?P<box1>[\w.-]+)|\s+{_BOX}\s*(?P<box2>[\w.-]+))?\s*$",
    re.IGNORECASE,
)


def split_street_address(value: str) -> tuple[str, str, str]:
    """``("Rue de la Loi", "16", "3")`` from ``"Rue de la Loi 16 bte 3"``.

    itsme gives one ``street_address`` line (no box field); the box comes
    after ``bus``, ``bte``, ``boîte``, ``box``, ``b`` or a slash. A line that
    does not end in a house number stays whole in the street.
    """
    line = " ".join((value or "").split())
    match = _STREET.match(line)
    if not match:
        return line, "", ""
    box = match.group("box1") or match.group("box2") or ""
    return match.group("street").rstrip(","), match.group("number").replace(" ", ""), box


def _address(raw: Any) -> Address | None:
    if not isinstance(raw, dict):
        return None
    street, number, box = split_street_address(str(raw.get("street_address") or ""))
    return Address(
        street=street,
        house_number=number,
        box=box,
        postal_code=str(raw.get("postal_code") or "").strip(),
        municipality=str(raw.get("locality") or "").strip(),
        country="BE",
        formatted=str(raw.get("formatted") or "").strip(),
    )


def _phone(raw: Any) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, "BE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _birth_date(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def identity_claims(claims: Mapping[str, Any]) -> IdentityClaims:
    """Paraph's view of itsme's claims. The ``sub`` is pairwise and changes
    when a person re-creates their itsme account: the registration flow
    matches people on the national number, not on the subject."""
    national_number = None
    if claims.get(CLAIM_NATIONAL_NUMBER):
        try:
            national_number = national_number_normalize(str(claims[CLAIM_NATIONAL_NUMBER]))
        except ValidationError:
            raise _refuse("claims_invalid", "the national number is not valid") from None
    document = {}
    if claims.get(CLAIM_EID_SERIAL):
        document = {"type": "BE eID", "number": str(claims[CLAIM_EID_SERIAL]), "country": "BE"}
    email = claims.get("email")
    return IdentityClaims(
        method="itsme",
        subject=str(claims["sub"]),
        assurance="high",
        given_name=str(claims.get("given_name") or "").strip(),
        family_name=str(claims.get("family_name") or "").strip(),
        national_number=national_number,
        birth_date=_birth_date(claims.get("birthdate")),
        email=email.strip() if isinstance(email, str) and email.strip() else None,
        phone=_phone(claims.get("phone_number")),
        address=_address(claims.get("address")),
        document=document,
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
            raise _refuse("configuration", "PARAPH_ITSME_CLIENT_ID / SERVICE_CODE are not set")
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
            raise _refuse("provider_mismatch", f"the response comes from {params['iss']!r}")
        if params.get("error"):
            refusal = "cancelled" if params["error"] == "access_denied" else "provider_error"
            detail = str(params.get("error_description", ""))[:200]
            raise _refuse(refusal, f"{params['error']}: {detail}")
        code = params.get("code")
        if not code:
            raise _refuse("provider_error", "the callback has no code")
        metadata = discover(config)
        keys = ProviderKeys(metadata, config.timeout)
        tokens = self._redeem(request, metadata, code=code, verifier=flow["verifier"])
        if not tokens.get("id_token"):
            raise _refuse("id_token_missing", "the token response has no id_token")
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
                raise _refuse("userinfo_subject", "userinfo is about another subject")
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
            raise _refuse("state_missing", "the callback has no state")
        flows: dict[str, Any] = dict(request.session.get(SESSION_KEY) or {})
        flow = None
        for known in list(flows):
            if secrets.compare_digest(known.encode(), state.encode()):
                flow = flows.pop(known)
        request.session[SESSION_KEY] = flows
        if flow is None:
            raise _refuse("state_mismatch", "no pending itsme flow has this state")
        if _now() - flow["at"] >= FLOW_TTL_SECONDS:
            raise _refuse("state_expired", "the itsme flow is older than 10 minutes")
        return flow

    def _post(self, url: str, data: dict[str, str]) -> httpx.Response:
        try:
            with httpx.Client(timeout=self.config.timeout, follow_redirects=False) as http:
                return http.post(url, data=data, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise _refuse("provider_unreachable", f"token endpoint: {exc!r}") from None

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
                "client_assertion_type": _ASSERTION_TYPE,
                "client_assertion": client_assertion(
                    client_id=self.config.client_id,
                    token_endpoint=metadata.token_endpoint,
                    now=_now(),
                ),
            },
        )
        if response.status_code >= 500:
            raise _refuse("provider_unreachable", f"token endpoint: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            detail = body.get("error_description") if isinstance(body, dict) else None
            raise _refuse(
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
            raise _refuse("provider_unreachable", f"userinfo: {exc!r}") from None
        if response.status_code != 200:
            raise _refuse("userinfo_invalid", f"userinfo: HTTP {response.status_code}")
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if content_type == "application/jwt":
            token = response.text.strip()
            if token.count(".") == 4:
                token = _decrypt(token, what="userinfo")
            claims = _verify(token, keys, what="userinfo")
            if claims.get("iss") != metadata.issuer:
                raise _refuse("userinfo_invalid", f"userinfo issuer {claims.get('iss')!r}")
            audience = claims.get("aud", self.config.client_id)
            if self.config.client_id not in (
                audience if isinstance(audience, list) else [audience]
            ):
                raise _refuse("userinfo_invalid", f"userinfo audience {audience!r}")
            return claims
        try:
            claims = response.json()
        except ValueError:
            raise _refuse("userinfo_invalid", "userinfo is neither JSON nor a JWT") from None
        if not isinstance(claims, dict):
            raise _refuse("userinfo_invalid", "userinfo is not a JSON object")
        return claims


__all__ = [
    "ACR_ADVANCED",
    "ACR_BASIC",
    "ItsmeProvider",
    "ItsmeSettings",
    "ProviderKeys",
    "ProviderMetadata",
    "discover",
    "identity_claims",
    "split_street_address",
    "validate_id_token",
]
