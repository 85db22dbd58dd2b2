"""Paraph's API for senders' HR systems (django-ninja), mounted at /api/.

Authentication: ``Authorization: Bearer <API key>``; each operation needs a
scope of the key. Errors are RFC 9457 problem documents
(:mod:`paraph.api.problems`). A contract of another sender is a 404,
exactly like a contract that does not exist. docs/api.md is the guide;
/api/docs and /api/openapi.json are the reference.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.http import urlencode
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import Field
from pydantic import ValidationError as PydanticError

from paraph.api.problems import Problem, problem_response
from paraph.api.schemas import (
    BatchIn,
    BatchOut,
    ContractDetailOut,
    ContractOut,
    ContractPageOut,
    DeliveryOut,
    RevokeIn,
    WebhookIn,
    WebhookOut,
    batch_out,
    contract_out,
    delivery_out,
    webhook_out,
)
from paraph.api.services import (
    idempotency_answering,
    idempotency_begin,
    idempotency_finish,
    idempotency_release,
)
from paraph.contracts.documents import contract_document_open
from paraph.contracts.evidence import contract_evidence_pdf, evidence_pdf_response
from paraph.contracts.inputs import ContractIn, ContractJsonIn, ReofferIn, ReofferJsonIn
from paraph.contracts.models import Contract, ContractStatus
from paraph.contracts.selectors import (
    batch_get_for_sender,
    batch_items,
    contract_evidence,
    contract_get_for_sender,
    contract_list_for_sender,
)
from paraph.contracts.services import (
    BulkEntry,
    ContractAccessDenied,
    ContractData,
    ContractError,
    ContractInvalid,
    ContractStateError,
    ContractUnavailable,
    FieldError,
    SignaturePlacement,
    batch_create,
    contract_body_problems,
    contract_create,
    contract_download_record,
    contract_reoffer,
    contract_revoke,
    pdf_from_base64,
    pydantic_errors,
)
from paraph.core.context import Context
from paraph.core.http import client_ip
from paraph.core.moments import utc_iso
from paraph.core.ratelimit import ratelimit_hit
from paraph.core.storage import DocumentUnavailable
from paraph.senders.models import ApiKey, ApiScope, WebhookDelivery, WebhookEndpoint
from paraph.senders.services import (
    SenderError,
    api_key_authenticate,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
)
from paraph.signing.exceptions import SigningError

logger = logging.getLogger(__name__)

# Wrong keys per client address and minute before the address must wait.
AUTH_FAILURES_PER_MINUTE = 30
PAGE_SIZE_MAX = 100

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


def _contract_problem(exc: ContractError) -> Problem:
    if isinstance(exc, ContractInvalid):
        return Problem(
            422,
            "validation",
            "The request's data is not valid.",
            errors=[e.as_dict() for e in exc.errors],
        )
    if isinstance(exc, ContractStateError):
        return Problem(
            409, "conflict", str(exc), errors=[{"field": "", "code": exc.code, "message": str(exc)}]
        )
    if isinstance(exc, ContractUnavailable):
        return Problem(503, "unavailable", str(exc), headers={"Retry-After": "30"})
    if isinstance(exc, ContractAccessDenied):
        return Problem(404, "not_found", "No such resource.")
    return Problem(
        422, "validation", str(exc), errors=[{"field": "", "code": exc.code, "message": str(exc)}]
    )


@api.exception_handler(ContractError)
def _on_contract_error(request: HttpRequest, exc: ContractError) -> HttpResponse:
    return problem_response(request, _contract_problem(exc))


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


# --- Helpers ---------------------------------------------------------------------------


def _key(request: HttpRequest, scope: str) -> ApiKey:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    if not key.has_scope(scope):
        raise Problem(403, "insufficient_scope", f"This API key lacks the scope {scope}.")
    return key


def _contract(key: ApiKey, contract_id: str) -> Contract:
    try:
        return contract_get_for_sender(sender_id=key.sender_id, public_id=contract_id)
    except Contract.DoesNotExist:
        raise Problem(404, "not_found", "No contract with this id.") from None


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, default=_default, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# A download's answer in the OpenAPI document: a PDF, not JSON.
PDF_RESPONSE: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The PDF file (`Content-Disposition: attachment`).",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _validation(errors: list[FieldError]) -> Problem:
    return Problem(
        422, "validation", "The request's data is not valid.", errors=[e.as_dict() for e in errors]
    )


def _all_problems(exc: PydanticError, body: str | bytes) -> list[FieldError]:
    """The model's errors and those of the text fields it did not get to:
    every problem of the request at once."""
    errors = pydantic_errors(exc)
    reported = {e.field for e in errors}
    try:
        decoded = json.loads(body)
    except ValueError:
        return errors
    return errors + [e for e in contract_body_problems(decoded) if e.field not in reported]


def _parse(
    request: HttpRequest, multipart_model: type[Any], json_model: type[Any]
) -> tuple[Any, bytes]:
    """The request's fields and PDF: JSON with ``pdf_base64``, or multipart
    with the fields as JSON in the part ``data`` and the file in ``pdf``."""
    if request.content_type == "multipart/form-data":
        try:
            raw = request.POST.get("data")
            upload = request.FILES.get("pdf")
        except MultiPartParserError as exc:
            raise Problem(
                400,
                "bad_request",
                "The multipart/form-data body cannot be read: its Content-Type needs a "
                "boundary, and each part must be separated by it.",
            ) from exc
        errors = []
        if raw is None:
            errors.append(
                FieldError(
                    "data", "required", "Send the contract's fields as JSON in the part 'data'."
                )
            )
        if upload is None:
            errors.append(FieldError("pdf", "required", "Send the PDF in the part 'pdf'."))
        if errors:
            raise _validation(errors)
        assert upload is not None and raw is not None
        if upload.size is not None and upload.size > settings.SIGNING_MAX_PDF_BYTES:
            raise _validation(
                [
                    FieldError(
                        "pdf",
                        "too_large",
                        f"The file is {upload.size / 1048576:.1f} MB; the limit is "
                        f"{settings.SIGNING_MAX_PDF_BYTES / 1048576:.0f} MB.",
                    )
                ]
            )
        try:
            parsed = multipart_model.model_validate_json(raw)
        except PydanticError as exc:
            raise _validation(_all_problems(exc, raw)) from exc
        return parsed, upload.read()
    if request.content_type == "application/json":
        try:
            parsed = json_model.model_validate_json(request.body or b"{}")
        except PydanticError as exc:
            raise _validation(_all_problems(exc, request.body)) from exc
        try:
            pdf = pdf_from_base64(parsed.pdf_base64)
        except ContractInvalid as exc:
            raise _validation(exc.errors) from exc
        return parsed, pdf
    raise Problem(
        415,
        "unsupported_media_type",
        "Send application/json (with pdf_base64) or multipart/form-data (parts 'data' and 'pdf').",
    )


def _fingerprint(request: HttpRequest, parsed: Any, pdf: bytes) -> str:
    fields = parsed.model_dump_json(exclude={"pdf_base64"})
    raw = f"{request.method} {request.path}\n{fields}\n{hashlib.sha256(pdf).hexdigest()}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _idempotent(
    request: HttpRequest, key: ApiKey, fingerprint: str, make: Callable[[], HttpResponse]
) -> HttpResponse:
    """``make()``'s answer, or, for a retried ``Idempotency-Key``, the first one."""
    header = request.headers.get("Idempotency-Key")
    if header is None:
        return make()
    start = idempotency_begin(sender=key.sender, key=header, request_hash=fingerprint)
    if start.replay is not None:
        return start.replay
    assert start.row is not None
    try:
        if start.row.resource_id:
            # Taken over from a request that died after its creation committed.
            response = _created_before(key, start.row.resource_type, start.row.resource_id)
        else:
            with idempotency_answering(start.row):
                response = make()
    except Problem as exc:
        response = problem_response(request, exc)
    except ContractError as exc:
        response = problem_response(request, _contract_problem(exc))
    except BaseException:
        idempotency_release(row=start.row)
        raise
    idempotency_finish(row=start.row, response=response)
    return response


def _created_before(key: ApiKey, resource_type: str, public_id: str) -> HttpResponse:
    """The answer a request that died would have given for what it created."""
    if resource_type == "contracts.bulkbatch":
        batch = batch_get_for_sender(sender_id=key.sender_id, public_id=public_id)
        return _json(
            batch_out(batch), status=202, headers={"Location": f"/api/batches/{batch.public_id}"}
        )
    return _created(Contract.objects.get(sender_id=key.sender_id, public_id=public_id))


def _placement(signature: Any) -> SignaturePlacement | None:
    if signature is None:
        return None
    return SignaturePlacement(page=signature.page, box=signature.box)


def _created(contract: Contract) -> HttpResponse:
    return _json(
        contract_out(contract),
        status=201,
        headers={"Location": f"/api/contracts/{contract.public_id}"},
    )


# --- Contracts ----------------------------------------------------------------------------

_CONTRACT_FIELDS_SCHEMA = {"$ref": "#/components/schemas/ContractIn"}
CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ContractJsonIn"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["data", "pdf"],
                    "properties": {
                        "data": {
                            "type": "string",
                            "description": "The contract's fields (ContractIn) as JSON.",
                        },
                        "pdf": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    },
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 200},
            "description": "A unique value per contract: a retry never makes a second one.",
        }
    ],
}


@api.post(
    "/contracts",
    response={201: ContractOut},
    openapi_extra=CREATE_BODY,
    summary="Create and send a contract",
    tags=["contracts"],
)
def contracts_create(request: HttpRequest) -> HttpResponse:
    """Create a contract and send it to the recipient at once (ES-2, ES-3).
    Needs `contracts:write`. The PDF is checked (a readable, unprotected PDF
    within the size limit) and certified by Paraph's seal with an empty
    signature field for the recipient at `signature` (page, box)."""
    key = _key(request, ApiScope.CONTRACTS_WRITE)
    parsed, pdf = _parse(request, ContractIn, ContractJsonIn)

    def make() -> HttpResponse:
        contract = contract_create(
            sender=key.sender,
            data=ContractData.from_input(parsed),
            pdf=pdf,
            api_key=key,
            context=Context.from_request(request),
        )
        return _created(contract)

    return _idempotent(request, key, _fingerprint(request, parsed, pdf), make)


class ContractFilters(Schema):
    status: list[ContractStatus] | None = Field(default=None, description="One or more states.")
    external_reference: str = ""
    recipient_email: str = ""
    enterprise_number: str = Field(
        default="", description="A company's contracts, by its enterprise number (any form)."
    )
    created_after: datetime | None = None
    created_before: datetime | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=PAGE_SIZE_MAX)


@api.get("/contracts", response=ContractPageOut, summary="List contracts", tags=["contracts"])
def contracts_list(request: HttpRequest, filters: Query[ContractFilters]) -> HttpResponse:
    """The sender's contracts, newest first, filtered; `page` and
    `page_size` (at most 100). Needs `contracts:read`."""
    key = _key(request, ApiScope.CONTRACTS_READ)
    qs = contract_list_for_sender(
        sender_id=key.sender_id,
        status=[str(s) for s in filters.status] if filters.status else None,
        external_reference=filters.external_reference,
        recipient_email=filters.recipient_email,
        enterprise_number=filters.enterprise_number,
        created_after=filters.created_after,
        created_before=filters.created_before,
    )
    paginator = Paginator(qs, filters.page_size)
    try:
        page = paginator.page(filters.page)
    except EmptyPage:
        page = None
    params: dict[str, list[str] | int] = {k: v for k, v in request.GET.lists() if k != "page"}

    def link(number: int) -> str:
        query = urlencode({**params, "page": number}, doseq=True)
        return f"{settings.BASE_URL}{request.path}?{query}"

    return _json(
        {
            "count": paginator.count,
            "page": filters.page,
            "page_size": filters.page_size,
            "next": link(filters.page + 1) if page is not None and page.has_next() else None,
            "previous": link(filters.page - 1) if filters.page > 1 else None,
            "results": [contract_out(c) for c in page] if page is not None else [],
        }
    )


@api.get(
    "/contracts/{contract_id}",
    response=ContractDetailOut,
    summary="Get a contract with its history",
    tags=["contracts"],
)
def contracts_get(request: HttpRequest, contract_id: str) -> HttpResponse:
    """Needs `contracts:read`. Another sender's contract is a 404."""
    key = _key(request, ApiScope.CONTRACTS_READ)
    return _json(contract_out(_contract(key, contract_id), with_history=True))


@api.post(
    "/contracts/{contract_id}/revoke",
    response=ContractOut,
    summary="Revoke a contract (until it is signed)",
    tags=["contracts"],
)
def contracts_revoke(request: HttpRequest, contract_id: str, payload: RevokeIn) -> HttpResponse:
    """The contract can no longer be signed; the recipient is told. A signed
    or closed contract answers 409. Needs `contracts:write`."""
    key = _key(request, ApiScope.CONTRACTS_WRITE)
    contract = contract_revoke(
        contract=_contract(key, contract_id),
        reason=payload.reason,
        api_key=key,
        context=Context.from_request(request),
    )
    return _json(contract_out(contract))


REOFFER_BODY = {
    **CREATE_BODY,
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ReofferJsonIn"}},
            "multipart/form-data": CREATE_BODY["requestBody"]["content"]["multipart/form-data"],  # type: ignore[index]
        },
    },
}


@api.post(
    "/contracts/{contract_id}/reoffer",
    response={201: ContractOut},
    openapi_extra=REOFFER_BODY,
    summary="Re-offer a changed contract (a new version)",
    tags=["contracts"],
)
def contracts_reoffer(request: HttpRequest, contract_id: str) -> HttpResponse:
    """A new version with a new PDF (and, if given, a new title, start of
    work, deadline or placement) is sent to the same recipient; the old one
    becomes `superseded` and can no longer be signed. A `refused` or
    `not_signed` contract keeps its status and names the new version in
    `superseded_by` (once: a second re-offer answers 409). Needs
    `contracts:write`."""
    key = _key(request, ApiScope.CONTRACTS_WRITE)
    contract = _contract(key, contract_id)
    parsed, pdf = _parse(request, ReofferIn, ReofferJsonIn)

    def make() -> HttpResponse:
        new = contract_reoffer(
            contract=contract,
            pdf=pdf,
            title=parsed.title,
            start_of_work=parsed.start_of_work,
            deadline=parsed.signing_deadline,
            placement=_placement(parsed.signature),
            api_key=key,
            context=Context.from_request(request),
        )
        return _created(new)

    return _idempotent(request, key, _fingerprint(request, parsed, pdf), make)


def _file(contract: Contract, which: str, filename: str, request: HttpRequest) -> FileResponse:
    """The contract's document ``which``, checked against its SHA-256 and
    streamed; DocumentUnavailable (a 503 problem) otherwise."""
    handle = contract_document_open(
        contract=contract, which=which, context=Context.from_request(request)
    )
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=True, filename=filename
    )
    response["Cache-Control"] = "no-store"
    return response


@api.get(
    "/contracts/{contract_id}/signed.pdf",
    openapi_extra=PDF_RESPONSE,
    summary="Download the signed PDF",
    tags=["contracts"],
)
def contracts_signed_pdf(request: HttpRequest, contract_id: str) -> FileResponse:
    """The PDF as signed by the recipient (PAdES, time-stamped). 409 while
    the contract is not signed. Needs `contracts:read`."""
    key = _key(request, ApiScope.CONTRACTS_READ)
    contract = _contract(key, contract_id)
    if not contract.signed_pdf:
        raise Problem(409, "not_signed_yet", f"The contract is {contract.status}, not signed.")
    response = _file(contract, "signed", f"contract-{contract.public_id}-signed.pdf", request)
    contract_download_record(
        contract=contract, what="signed", api_key=key, context=Context.from_request(request)
    )
    return response


@api.get(
    "/contracts/{contract_id}/document.pdf",
    openapi_extra=PDF_RESPONSE,
    summary="Download the document sent for signing",
    tags=["contracts"],
)
def contracts_document_pdf(request: HttpRequest, contract_id: str) -> FileResponse:
    """The PDF as sent: the original, certified by Paraph's seal. Needs
    `contracts:read`."""
    key = _key(request, ApiScope.CONTRACTS_READ)
    contract = _contract(key, contract_id)
    response = _file(contract, "document", f"contract-{contract.public_id}.pdf", request)
    contract_download_record(
        contract=contract, what="document", api_key=key, context=Context.from_request(request)
    )
    return response


@api.get(
    "/contracts/{contract_id}/evidence",
    response={200: dict},
    summary="The contract's evidence",
    tags=["contracts"],
)
def contracts_evidence(request: HttpRequest, contract_id: str) -> HttpResponse:
    """Hashes of the documents, every event with its time, actor, IP address
    and browser, the signing method and mandate, the e-mails' delivery, and
    the audit events with their hashes, as JSON (the same evidence as a
    sealed PDF: `GET /contracts/{id}/evidence.pdf`). Needs `contracts:read`."""
    key = _key(request, ApiScope.CONTRACTS_READ)
    contract = _contract(key, contract_id)
    contract_download_record(
        contract=contract, what="evidence", api_key=key, context=Context.from_request(request)
    )
    return _json(contract_evidence(contract=contract))


@api.get(
    "/contracts/{contract_id}/evidence.pdf",
    openapi_extra=PDF_RESPONSE,
    summary="Download the evidence as a PDF sealed by Paraph",
    tags=["contracts"],
)
def contracts_evidence_pdf(request: HttpRequest, contract_id: str) -> HttpResponse:
    """The evidence in words, in the language of the `Accept-Language`
    header (fr, nl, de or en; French otherwise), sealed by Paraph: a
    certified PDF that no one can change without breaking the seal. Made
    at each request from the evidence as it is then. 503 when the seal is
    unavailable for a moment. Needs `contracts:read`."""
    key = _key(request, ApiScope.CONTRACTS_READ)
    contract = _contract(key, contract_id)
    try:
        data = contract_evidence_pdf(
            contract=contract,
            language=translation.get_language(),
            api_key=key,
            context=Context.from_request(request),
        )
    except SigningError:
        raise Problem(
            503, "seal_unavailable", "Paraph's seal is unavailable for a moment; try again later."
        ) from None
    return evidence_pdf_response(contract, data)


# --- Bulk sends -------------------------------------------------------------------------------


@api.post("/batches", response={202: BatchOut}, summary="Send many contracts", tags=["batches"])
def batches_create(request: HttpRequest, payload: BatchIn) -> HttpResponse:
    """Up to `CONTRACT_BULK_MAX` contracts (each as for POST /api/contracts,
    JSON with `pdf_base64`), created by a task; answers 202 at once with the
    batch, whose progress is at its `Location`. A refused contract does not
    stop the others: its errors are in the batch's `items`. Needs
    `contracts:write`; honours `Idempotency-Key`."""
    key = _key(request, ApiScope.CONTRACTS_WRITE)
    entries = []
    digest = hashlib.sha256()
    for item in payload.contracts:
        data = dict(item)
        encoded = data.pop("pdf_base64", None)
        pdf, error = None, ""
        if not isinstance(encoded, str) or not encoded:
            error = "pdf_base64 is missing."
        else:
            try:
                pdf = pdf_from_base64(encoded)
            except ContractInvalid:
                error = "pdf_base64 is not valid base64."
        entries.append(BulkEntry(data=data, pdf=pdf, pdf_error=error))
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
        digest.update(hashlib.sha256(pdf or b"").digest())
    fingerprint = hashlib.sha256(f"{request.path}\n{digest.hexdigest()}".encode()).hexdigest()

    def make() -> HttpResponse:
        batch = batch_create(
            sender=key.sender,
            entries=entries,
            source="api",
            api_key=key,
            context=Context.from_request(request),
        )
        batch.refresh_from_db()
        return _json(
            batch_out(batch), status=202, headers={"Location": f"/api/batches/{batch.public_id}"}
        )

    return _idempotent(request, key, fingerprint, make)


@api.get(
    "/batches/{batch_id}", response=BatchOut, summary="A bulk send's progress", tags=["batches"]
)
def batches_get(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Progress (`processed` of `total`), and per contract its id or its
    errors. Needs `contracts:read`."""
    key = _key(request, ApiScope.CONTRACTS_READ)
    try:
        batch = batch_get_for_sender(sender_id=key.sender_id, public_id=batch_id)
    except ObjectDoesNotExist:
        raise Problem(404, "not_found", "No batch with this id.") from None
    return _json(batch_out(batch, list(batch_items(batch=batch))))


# --- Webhooks ----------------------------------------------------------------------------------


def _endpoint(key: ApiKey, endpoint_id: str) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.get(sender_id=key.sender_id, public_id=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, DjangoValidationError, ValueError):
        raise Problem(404, "not_found", "No webhook endpoint with this id.") from None


@api.get(
    "/webhooks", response=list[WebhookOut], summary="List webhook endpoints", tags=["webhooks"]
)
def webhooks_list(request: HttpRequest) -> HttpResponse:
    key = _key(request, ApiScope.WEBHOOKS_MANAGE)
    return _json([webhook_out(e) for e in WebhookEndpoint.objects.filter(sender_id=key.sender_id)])


@api.post(
    "/webhooks", response={201: WebhookOut}, summary="Add a webhook endpoint", tags=["webhooks"]
)
def webhooks_create(request: HttpRequest, payload: WebhookIn) -> HttpResponse:
    """An https:// URL and the events it receives: contract.sent,
    contract.opened, contract.signed, contract.refused, contract.expired,
    contract.revoked. Needs `webhooks:manage`."""
    key = _key(request, ApiScope.WEBHOOKS_MANAGE)
    endpoint = webhook_endpoint_create(
        sender=key.sender,
        url=payload.url,
        events=payload.events,
        description=payload.description,
        actor=None,
        api_key=key,
        context=Context.from_request(request),
    )
    return _json(webhook_out(endpoint), status=201)


@api.delete(
    "/webhooks/{endpoint_id}",
    response=WebhookOut,
    summary="Disable a webhook endpoint",
    tags=["webhooks"],
)
def webhooks_disable(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    key = _key(request, ApiScope.WEBHOOKS_MANAGE)
    endpoint = webhook_endpoint_set_active(
        endpoint=_endpoint(key, endpoint_id),
        active=False,
        actor=None,
        api_key=key,
        context=Context.from_request(request),
    )
    return _json(webhook_out(endpoint))


@api.get(
    "/webhooks/{endpoint_id}/deliveries",
    response=list[DeliveryOut],
    summary="An endpoint's delivery log (newest first, the last 100)",
    tags=["webhooks"],
)
def webhooks_deliveries(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    key = _key(request, ApiScope.WEBHOOKS_MANAGE)
    endpoint = _endpoint(key, endpoint_id)
    deliveries = endpoint.deliveries.select_related("replay_of").order_by("-created_at", "-pk")[
        :100
    ]
    return _json([delivery_out(d) for d in deliveries])


@api.post(
    "/webhooks/deliveries/{delivery_id}/replay",
    response={202: DeliveryOut},
    summary="Send a delivery again",
    tags=["webhooks"],
)
def webhooks_replay(request: HttpRequest, delivery_id: str) -> HttpResponse:
    key = _key(request, ApiScope.WEBHOOKS_MANAGE)
    try:
        delivery = WebhookDelivery.objects.select_related("endpoint").get(
            endpoint__sender_id=key.sender_id, public_id=delivery_id
        )
    except (WebhookDelivery.DoesNotExist, DjangoValidationError, ValueError):
        raise Problem(404, "not_found", "No delivery with this id.") from None
    replay = webhook_delivery_replay(
        delivery=delivery, actor=None, api_key=key, context=Context.from_request(request)
    )
    replay.refresh_from_db()
    return _json(delivery_out(replay), status=202)
