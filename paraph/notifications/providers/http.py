"""A generic HTTP SMS gateway: one POST per message, configured entirely
in settings so that another provider needs no code.

``PARAPH_SMS_HTTP_URL``            where to POST
``PARAPH_SMS_HTTP_AUTH_HEADER``    one header, ``Name: value`` (optional)
``PARAPH_SMS_HTTP_BODY_TEMPLATE``  a JSON body with ``{to}``, ``{sender}``
                                   and ``{text}`` inside JSON strings
``PARAPH_SMS_HTTP_TIMEOUT``        seconds
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from django.conf import settings

from paraph.notifications.providers import SmsDeliveryError

_PLACEHOLDER = re.compile(r"\{(to|sender|text)\}")


def _json_string_content(value: str) -> str:
    """``value`` escaped for the inside of a JSON string (quotes, backslashes,
    newlines, control characters), without the surrounding quotes."""
    return json.dumps(value)[1:-1]


def build_body(template: str, *, to: str, sender: str, text: str) -> str:
    """The request body: every placeholder replaced in one pass, so a text
    that itself contains ``{to}`` is sent as typed. Refuses a template that
    does not give valid JSON (without quoting the text, which may hold a code)."""
    values = {"to": to, "sender": sender, "text": text}
    body = _PLACEHOLDER.sub(lambda m: _json_string_content(values[m.group(1)]), template)
    try:
        json.loads(body)
    except ValueError as exc:
        raise SmsDeliveryError(
            "PARAPH_SMS_HTTP_BODY_TEMPLATE does not give valid JSON: "
            "put {to}, {sender} and {text} inside JSON strings"
        ) from exc
    return body


def parse_auth_header(value: str) -> dict[str, str]:
    """``"Authorization: Bearer abc"`` as a one-entry dict; empty when unset."""
    if not value.strip():
        return {}
    name, sep, header_value = value.partition(":")
    if not sep or not name.strip() or not header_value.strip():
        raise SmsDeliveryError("PARAPH_SMS_HTTP_AUTH_HEADER must look like 'Name: value'")
    return {name.strip(): header_value.strip()}


class HttpSmsGateway:
    """Posts each SMS to the configured HTTP endpoint.

    Errors never carry the SMS text, the response body (a gateway may echo
    the text back) or the URL (it may carry a key): only what went wrong."""

    def send(self, *, to: str, text: str, reference: str = "") -> str:
        url = settings.SMS_HTTP_URL
        if not url:
            raise SmsDeliveryError("PARAPH_SMS_HTTP_URL is not set")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers.update(parse_auth_header(settings.SMS_HTTP_AUTH_HEADER or ""))
        if reference:
            # The same at every attempt for one message: a gateway that
            # honours idempotency keys sends a retried SMS once.
            headers["Idempotency-Key"] = reference
        body = build_body(
            settings.SMS_HTTP_BODY_TEMPLATE, to=to, sender=settings.SMS_SENDER, text=text
        )
        try:
            response = httpx.post(
                url,
                content=body.encode(),
                headers=headers,
                timeout=settings.SMS_HTTP_TIMEOUT,
                follow_redirects=False,
            )
        except httpx.TimeoutException as exc:
            raise SmsDeliveryError(
                f"the SMS gateway did not answer within {settings.SMS_HTTP_TIMEOUT} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise SmsDeliveryError(
                f"the SMS gateway could not be reached ({type(exc).__name__})"
            ) from exc
        if not response.is_success:
            raise SmsDeliveryError(f"the SMS gateway answered HTTP {response.status_code}")
        return _message_id(response)


def _message_id(response: httpx.Response) -> str:
    """The gateway's id for the message (``id`` or ``message_id`` in a JSON
    answer), or an empty string when it gives none."""
    try:
        data: Any = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("id", "message_id"):
            if data.get(key) not in (None, ""):
                return str(data[key])[:100]
    return ""
