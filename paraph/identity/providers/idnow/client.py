"""A client for IDnow's gateway API (VideoIdent / AutoIdent).

``POST {gateway}/api/v1/{company}/login`` with the API key gives a login
token, sent as ``X-API-LOGIN-TOKEN`` with every other call; it is kept in
the shared cache until shortly before it expires, and fetched again once
when the gateway says it is no longer valid. ``POST
identifications/{txn}/start`` creates the identification with the
person's data; the person then goes to
``https://go[.test].idnow.de/{company}/identifications/{txn}/identification/start``.
The result arrives by webhook; ``GET identifications/{txn}`` fetches it
when the webhook is late.

Every failure is an :class:`IdnowError` whose message names what went
wrong (time-out, unreachable, refused log-in, HTTP status) and never
carries the API key, the token or the person's data.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache

# A token is fetched again this long before it expires.
TOKEN_MARGIN_SECONDS = 120
# When the token does not say when it expires (it is not a JWT with "exp").
TOKEN_DEFAULT_SECONDS = 30 * 60


class IdnowError(Exception):
    """IDnow could not be reached or refused the request. ``code`` is for
    logs and tests: "not_configured", "timeout", "unreachable",
    "login_refused", "http_<status>", "bad_response"."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IdnowConfig:
    gateway_url: str  # https://gateway.test.idnow.de
    company_id: str
    api_key: str
    go_url: str = ""  # https://go.test.idnow.de; derived from the gateway when empty
    timeout: float = 10.0

    @classmethod
    def from_settings(cls) -> IdnowConfig:
        return cls(
            gateway_url=settings.IDNOW_GATEWAY_URL,
            company_id=settings.IDNOW_COMPANY_ID,
            api_key=settings.IDNOW_API_KEY,
            go_url=settings.IDNOW_GO_URL,
            timeout=float(settings.IDNOW_TIMEOUT),
        )

    @property
    def person_url_base(self) -> str:
        """Where people are sent: the ``go`` host beside the gateway."""
        if self.go_url:
            return self.go_url.rstrip("/")
        parts = urlsplit(self.gateway_url)
        host = parts.hostname or ""
        if host.startswith("gateway."):
            host = "go." + host.removeprefix("gateway.")
        return f"{parts.scheme}://{host}"


def _token_lifetime(token: str, now: float) -> float:
    """Seconds the token may be used: from its JWT ``exp`` when it has one."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) - now
    except (IndexError, ValueError, KeyError, TypeError):
        return TOKEN_DEFAULT_SECONDS


class IdnowClient:
    """One company's access to IDnow's gateway."""

    def __init__(self, config: IdnowConfig | None = None) -> None:
        self.config = config or IdnowConfig.from_settings()

    # --- public calls -------------------------------------------------------

    def start(self, transaction_number: str, person: dict[str, str]) -> str:
        """Create the identification ``transaction_number`` with the
        person's data (``firstname``, ``lastname``, ``birthday``
        YYYY-MM-DD, ``email``, ...); returns IDnow's identification id."""
        data = self._call("POST", f"identifications/{quote(transaction_number)}/start", person)
        ident_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(ident_id, str) or not ident_id:
            raise IdnowError("bad_response", "IDnow started the identification but gave no id")
        return ident_id

    def get(self, transaction_number: str) -> dict[str, Any]:
        """The identification's current result, as IDnow's JSON."""
        data = self._call("GET", f"identifications/{quote(transaction_number)}")
        if not isinstance(data, dict) or not isinstance(data.get("identificationprocess"), dict):
            raise IdnowError("bad_response", "IDnow's answer has no identificationprocess")
        return data

    def person_url(self, transaction_number: str) -> str:
        """The page where the person starts the identification at IDnow."""
        return (
            f"{self.config.person_url_base}/{quote(self.config.company_id)}"
            f"/identifications/{quote(transaction_number)}/identification/start"
        )

    def login(self) -> str:
        """A valid login token: the cached one, or a new one."""
        cached = cache.get(self._cache_key)
        # The entry carries its own end, checked on Paraph's clock: the cache's
        # expiry runs on the Redis server's clock, which tests cannot move.
        if isinstance(cached, tuple) and len(cached) == 2:
            token, valid_until = cached
            if isinstance(token, str) and token and time.time() < float(valid_until):
                return token
        return self._login()

    # --- plumbing -----------------------------------------------------------

    @property
    def _base(self) -> str:
        if not (self.config.gateway_url and self.config.company_id and self.config.api_key):
            raise IdnowError(
                "not_configured",
                "IDnow is not configured: set PARAPH_IDNOW_GATEWAY_URL, "
                "PARAPH_IDNOW_COMPANY_ID and PARAPH_IDNOW_API_KEY",
            )
        return f"{self.config.gateway_url.rstrip('/')}/api/v1/{quote(self.config.company_id)}"

    @property
    def _cache_key(self) -> str:
        return f"paraph:idnow:token:{self.config.gateway_url}:{self.config.company_id}"

    def _login(self) -> str:
        now = time.time()
        response = self._send("POST", "login", {"apiKey": self.config.api_key}, token=None)
        if response.status_code in (400, 401, 403):
            raise IdnowError(
                "login_refused",
                f"IDnow refused the log-in with the API key (HTTP {response.status_code})",
            )
        data = self._json(response)
        token = data.get("authToken") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise IdnowError("bad_response", "IDnow's log-in answer has no authToken")
        lifetime = _token_lifetime(token, now) - TOKEN_MARGIN_SECONDS
        if lifetime > 0:
            cache.set(self._cache_key, (token, now + lifetime), int(lifetime))
        return token

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._send(method, path, body, token=self.login())
        if response.status_code == 401:
            # The token expired early or was revoked: one new log-in, one retry.
            cache.delete(self._cache_key)
            response = self._send(method, path, body, token=self._login())
        return self._json(response)

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, *, token: str | None
    ) -> httpx.Response:
        url = f"{self._base}/{path}"
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token is not None:
            headers["X-API-LOGIN-TOKEN"] = token
        timeout = self.config.timeout
        try:
            return httpx.request(
                method,
                url,
                json=body if method != "GET" else None,
                headers=headers,
                timeout=timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as exc:
            raise IdnowError("timeout", f"IDnow did not answer within {timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise IdnowError(
                "unreachable", f"IDnow could not be reached ({type(exc).__name__})"
            ) from exc

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if not response.is_success:
            raise IdnowError(
                f"http_{response.status_code}",
                f"IDnow answered HTTP {response.status_code}{_error_cause(response)}",
            )
        try:
            return response.json()
        except ValueError as exc:
            raise IdnowError("bad_response", "IDnow's answer is not JSON") from exc


def _error_cause(response: httpx.Response) -> str:
    """IDnow's error cause (``{"errors": [{"cause": "OBJECT_NOT_FOUND"}]}``),
    which names the problem without echoing anyone's data."""
    try:
        errors = response.json().get("errors") or []
        cause = str(errors[0].get("cause") or "")
    except (ValueError, AttributeError, IndexError, TypeError):
        return ""
    return f" ({cause[:60]})" if cause.replace("_", "").isalnum() else ""
