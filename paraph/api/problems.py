"""RFC 9457 problem documents: every error the API answers, whatever its
cause (validation, authentication, a missing object, a rate limit, a
crash), is ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail`` and ``instance``, plus ``errors`` (one entry per
field) when the request's data is wrong. A crash answers 500 with no
trace of the code: the details go to the log."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"

# The title of each kind of problem, in English: the API speaks English
# (its docs, its field names); ``detail`` may be translated by Accept-Language.
TITLES = {
    "bad_request": "Bad request",
    "unauthenticated": "Authentication required",
    "insufficient_scope": "The API key lacks a scope",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "conflict": "Conflict with the contract's state",
    "payload_too_large": "Request too large",
    "unsupported_media_type": "Unsupported media type",
    "validation": "The request's data is not valid",
    "idempotency_key_reused": "Idempotency key reused with another request",
    "idempotency_key_in_use": "A request with this idempotency key is in progress",
    "rate_limited": "Too many requests",
    "internal": "Internal error",
    "unavailable": "Service unavailable",
    "not_signed_yet": "The contract is not signed",
    "document_unavailable": "The stored document is missing or altered",
}


def problem_type(code: str) -> str:
    """The problem's ``type`` URI: its entry on the page that explains every
    problem the API answers (``/api/problems``)."""
    return f"{settings.BASE_URL}/api/problems#{code}"


class Problem(Exception):
    """Raise it anywhere in the API to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str = "",
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.title = title or TITLES.get(code, code.replace("_", " ").capitalize())


def problem_body(problem: Problem, instance: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(problem.code),
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail or problem.title,
        "instance": instance,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return body


def problem_response(request: HttpRequest | None, problem: Problem) -> HttpResponse:
    instance = request.path if request is not None else ""
    response = HttpResponse(
        json.dumps(problem_body(problem, instance), ensure_ascii=False),
        status=problem.status,
        content_type=CONTENT_TYPE,
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "insufficient_scope",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


def as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """``response`` itself when it is a success or already a problem
    document; otherwise the problem document for its status (a 405 from the
    router, a 404 from Django...), keeping ``Allow`` and ``Retry-After``."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith(CONTENT_TYPE):
        return response
    status = response.status_code
    problem = Problem(
        status, _DEFAULT_CODES.get(status, "bad_request" if status < 500 else "internal")
    )
    converted = problem_response(request, problem)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            converted[header] = response[header]
    return converted
