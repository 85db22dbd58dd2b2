"""Paraph's API for senders' HR systems (django-ninja), mounted at /api/.

Authentication: ``Authorization: Bearer <API key>``; each operation needs a
scope of the key. Errors are RFC 9457 problem documents
(:mod:`paraph.api.problems`). A contract of another sender is a 404,
exactly like a contract that does not exist. docs/api.md is the guide;
/api/docs and /api/openapi.json are the reference.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.security import HttpBearer

from paraph.api.common import contract_problem
from paraph.api.problems import Problem, problem_response
from paraph.api.routers import batches, contracts, webhooks
from paraph.contracts.inputs import ContractIn, ContractJsonIn, ReofferIn, ReofferJsonIn
from paraph.contracts.services import (
    ContractError,
)
from paraph.core.http import client_ip
from paraph.core.ratelimit import ratelimit_hit
from paraph.core.storage import DocumentUnavailable
from paraph.senders.models import ApiKey
from paraph.senders.services import (
    SenderError,
    api_key_authenticate,
)

logger = logging.getLogger(__name__)

# Wrong keys per client address and minute before the address must wait.
AUTH_FAILURES_PER_MINUTE = 30

DESCRIPTION = """
Send contracts to people, follow them until they are signed, download the
signed PDF and its evidence; be told of every change by webhooks.

* **Authentication**: `Authorization: Bearer paraph_xxxxxxxx.<secret>`, an API
  key made in the sender back office (`/sender/keys/`), with scopes
  `contracts:read`, `contracts:write`, `webhooks:manage`.
* **Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem
  documents (`application/problem+json`); field errors are listed in `errors`
  (`field`, `code`, `message`). The kinds of problems: `/api/problems`.
* **Idempotency**: send `Idempotency-Key: <unique value>` with a creation; a
  retry with the same key and body gets the first answer (header
  `Idempotent-Replayed: true`), the same key with another body a 422. Keys are
  kept 24 hours.
* **Webhooks** are signed: `Paraph-Signature: t=<unix time>,v1=<HMAC-SHA256 of
  "<t>.<body>" with your webhook secret>`.
* A contract can be signed until its `signing_deadline` (by default its
  `start_of_work`, Europe/Brussels); then it is `not_signed`.
"""


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``: the key's row, or a 401. Each key may
    make ``API_RATE_LIMIT_PER_MINUTE`` requests a minute, and each client
    address ``AUTH_FAILURES_PER_MINUTE`` wrong keys a minute (429 beyond)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(token=token)
        if key is None:
            limit = ratelimit_hit(
                scope="api.auth_failed",
                key=client_ip(request) or "unknown",
                limit=AUTH_FAILURES_PER_MINUTE,
                window_seconds=60,
            )
            if not limit.allowed:
                raise Problem(
                    429,
                    "rate_limited",
                    "Too many requests with a wrong API key from this address.",
                    headers={"Retry-After": str(limit.retry_after)},
                )
            return None
        limit = ratelimit_hit(
            scope="api.key",
            key=str(key.pk),
            limit=settings.API_RATE_LIMIT_PER_MINUTE,
            window_seconds=60,
        )
        if not limit.allowed:
            raise Problem(
                429,
                "rate_limited",
                f"This API key may make {settings.API_RATE_LIMIT_PER_MINUTE} requests a minute.",
                headers={"Retry-After": str(limit.retry_after)},
            )
        if not request.headers.get("Accept-Language"):
            # The sender's language, not Paraph's default: every message of
            # the answer in one language, named by Content-Language.
            translation.activate(key.sender.language)
            request.LANGUAGE_CODE = key.sender.language
        return key


class ParaphApi(NinjaAPI):
    """The API, whose OpenAPI document also describes the request bodies
    that operations read themselves (JSON or multipart)."""

    body_models = (ContractIn, ContractJsonIn, ReofferIn, ReofferJsonIn)

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The ids the API has published since its first version, when every
        # operation lived in this module (django-ninja derives them from the
        # module and the function): clients generated from the document
        # keep their method names now that operations live in routers.
        return f"paraph_api_api_{operation.view_func.__name__}"

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in self.body_models:
            described = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in described.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = described
        return schema


api = ParaphApi(
    title="Paraph API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=ApiKeyAuth(),
)
api.add_router("", contracts.router)
api.add_router("", batches.router)
api.add_router("", webhooks.router)


# --- Problems for every error -------------------------------------------------------


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters")]
    return ".".join(parts)


@api.exception_handler(Problem)
def _on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


@api.exception_handler(NinjaValidationError)
def _on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": _field(e.get("loc", ())),
            "code": str(e.get("type", "invalid")),
            "message": str(e.get("msg", "")),
        }
        for e in exc.errors
    ]
    return problem_response(
        request, Problem(422, "validation", "The request's data is not valid.", errors=errors)
    )


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        request,
        Problem(
            401,
            "unauthenticated",
            "Send a valid API key: Authorization: Bearer <key>.",
            headers={"WWW-Authenticate": 'Bearer realm="paraph"'},
        ),
    )


@api.exception_handler(AuthorizationError)
def _on_forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return problem_response(request, Problem(403, "insufficient_scope", str(exc)))


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "bad_request"
    )
    return problem_response(request, Problem(exc.status_code, code, str(exc)))


@api.exception_handler(Http404)
def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, Problem(404, "not_found", "No such resource."))


@api.exception_handler(ObjectDoesNotExist)
def _on_missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return problem_response(request, Problem(404, "not_found", "No such resource."))


@api.exception_handler(ContractError)
def _on_contract_error(request: HttpRequest, exc: ContractError) -> HttpResponse:
    return problem_response(request, contract_problem(exc))


def _django_errors(exc: DjangoValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": name, "code": e.code or "invalid", "message": str(e.messages[0])}
            for name, errors in exc.error_dict.items()
            for e in errors
        ]
    return [{"field": "", "code": exc.code or "invalid", "message": m} for m in exc.messages]


@api.exception_handler(DjangoValidationError)
def _on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return problem_response(
        request,
        Problem(422, "validation", "The request's data is not valid.", errors=_django_errors(exc)),
    )


@api.exception_handler(SenderError)
def _on_sender_error(request: HttpRequest, exc: SenderError) -> HttpResponse:
    return problem_response(request, Problem(409, "conflict", str(exc)))


@api.exception_handler(DocumentUnavailable)
def _on_document_unavailable(request: HttpRequest, exc: DocumentUnavailable) -> HttpResponse:
    # Logged, counted and audited where it was found (paraph.contracts.documents).
    return problem_response(
        request,
        Problem(
            503,
            "document_unavailable",
            "The stored document is missing or does not match the SHA-256 recorded when it "
            "was stored, so it is not served. Paraph's operators are alerted; nothing in the "
            "contract's record is lost.",
        ),
    )


@api.exception_handler(Exception)
def _on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return problem_response(
        request,
        Problem(
            500,
            "internal",
            "An unexpected error occurred. Nothing may have been changed; "
            "if you retry a creation, send the same Idempotency-Key.",
        ),
    )
