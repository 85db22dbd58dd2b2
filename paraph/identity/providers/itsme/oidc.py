"""itsme's OpenID Connect, Paraph's side of the JOSE work: the settings
and the discovery document, itsme's JWK Set, the signed request object and
``private_key_jwt`` client assertion, and the id_token's checks (decrypt
with Paraph's key by kid, verify itsme's signature by kid, then issuer,
audience, nonce, expiry, issue time and ``acr``). Every failure is an
:class:`~paraph.identity.providers.IdentityError` (:func:`itsme_error`).

References: belgianmobileid.github.io/doc (authentication, JOSE, claims),
and docs/registration.md."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from paraph.identity.providers import IdentityError
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
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def itsme_error(code: str) -> IdentityError:
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


def itsme_refusal(code: str, detail: str) -> IdentityError:
    logger.warning("itsme refused: %s: %s", code, detail)
    return itsme_error(code)


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
            raise itsme_refusal("discovery_invalid", f"discovery document lacks {exc}") from None
        if issuer != expected_issuer:
            raise itsme_refusal(
                "discovery_invalid", f"issuer {issuer!r} is not {expected_issuer!r}"
            )
        algs = document.get("request_object_encryption_alg_values_supported")
        if algs is not None and "RSA-OAEP-256" not in algs:
            raise itsme_refusal("discovery_invalid", f"request objects cannot be encrypted: {algs}")
        encs = document.get("request_object_encryption_enc_values_supported") or ["A128CBC-HS256"]
        enc = next((e for e in CONTENT_ENCRYPTION_ALGS if e in encs), None)
        if enc is None:
            raise itsme_refusal("discovery_invalid", f"no usable request object enc in {encs}")
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
        raise itsme_refusal("provider_unreachable", f"{what} {url}: {exc!r}") from None
    if response.status_code != 200:
        raise itsme_refusal("provider_unreachable", f"{what} {url}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise itsme_refusal("discovery_invalid", f"{what} {url} is not JSON") from None


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
        raise itsme_refusal("provider_keys_invalid", "itsme publishes no RSA encryption key")
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


def token_decrypt(token: str, *, what: str) -> str:
    """Decrypt a JWE for Paraph with its encryption key named by ``kid``
    (the current one, or a retired one still in its grace period)."""
    try:
        header = json.loads(base64.urlsafe_b64decode(_pad(token.split(".")[0])))
    except ValueError:
        raise itsme_refusal(f"{what}_undecryptable", "the JWE header is not JSON") from None
    if not isinstance(header, dict):
        raise itsme_refusal(f"{what}_undecryptable", "the JWE header is not an object")
    alg, enc = header.get("alg"), header.get("enc")
    if alg not in KEY_ENCRYPTION_ALGS or enc not in CONTENT_ENCRYPTION_ALGS:
        raise itsme_refusal(f"{what}_undecryptable", f"unexpected JWE algorithms {alg}/{enc}")
    ours = client_keys.decryption_keys()
    kid = header.get("kid")
    candidates = [ours[kid]] if kid in ours else ([] if kid else list(ours.values()))
    if not candidates:
        raise itsme_refusal(f"{what}_undecryptable", f"encrypted for an unknown key (kid={kid!r})")
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
    raise itsme_refusal(f"{what}_undecryptable", f"decryption failed (kid={kid!r}): {failure}")


def _pad(segment: str) -> str:
    return segment + "=" * (-len(segment) % 4)


def token_verify(token: str, keys: ProviderKeys, *, what: str) -> dict[str, Any]:
    """Verify itsme's signature on a JWS and return its claims."""
    try:
        header = json.loads(base64.urlsafe_b64decode(_pad(token.split(".")[0])))
    except ValueError:
        raise itsme_refusal(f"{what}_signature", "the JWS header is not JSON") from None
    if not isinstance(header, dict) or header.get("alg") not in SIGNING_ALGS:
        alg = header.get("alg") if isinstance(header, dict) else None
        raise itsme_refusal(f"{what}_signature", f"signature algorithm {alg!r} is not accepted")
    candidates = keys.find("sig", header.get("kid"))
    if not candidates:
        raise itsme_refusal(
            f"{what}_signature", f"signed by an unknown key (kid={header.get('kid')!r})"
        )
    registry = jws.JWSRegistry(algorithms=list(SIGNING_ALGS), strict_check_header=False)
    for key in candidates:
        try:
            payload = jws.deserialize_compact(token, key, registry=registry).payload
        except (JoseError, ValueError):
            continue
        try:
            claims = json.loads(payload)
        except ValueError:
            raise itsme_refusal(f"{what}_signature", "the signed payload is not JSON") from None
        if not isinstance(claims, dict):
            raise itsme_refusal(f"{what}_signature", "the signed payload is not a JSON object")
        return claims
    raise itsme_refusal(
        f"{what}_signature", f"the signature does not verify (kid={header.get('kid')!r})"
    )


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
        raise itsme_refusal("id_token_not_encrypted", "the id_token is not a JWE")
    inner = token_decrypt(token, what="id_token")
    if inner.count(".") != 2:
        raise itsme_refusal("id_token_signature", "the decrypted id_token is not a signed JWT")
    claims = token_verify(inner, keys, what="id_token")

    if claims.get("iss") != issuer:
        raise itsme_refusal("id_token_issuer", f"issuer {claims.get('iss')!r}")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise itsme_refusal("id_token_audience", f"audience {audience!r}")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise itsme_refusal("id_token_audience", f"several audiences and azp {claims.get('azp')!r}")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + CLOCK_LEEWAY_SECONDS <= now:
        raise itsme_refusal("id_token_expired", f"exp {exp!r}, now {now}")
    if (
        not isinstance(iat, int | float)
        or iat > now + CLOCK_LEEWAY_SECONDS
        or iat < now - MAX_ID_TOKEN_AGE_SECONDS
    ):
        raise itsme_refusal("id_token_issued_at", f"iat {iat!r}, now {now}")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise itsme_refusal("id_token_nonce", "the nonce is not the one this flow sent")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise itsme_refusal("id_token_subject", "no sub")
    acr = claims.get("acr")
    if _ACR_LEVEL.get(str(acr), 0) < _ACR_LEVEL[acr_required]:
        raise itsme_refusal("acr_insufficient", f"acr {acr!r}, required {acr_required}")
    return claims
