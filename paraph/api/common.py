"""What the API's routers share: the key's scope, a contract of the key's
sender (another sender's is a 404), JSON answers, reading a contract's
request (JSON or multipart), Idempotency-Key, the answer of a creation,
and a document's download, checked and recorded."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from pydantic import ValidationError as PydanticError

from paraph.api.problems import Problem, problem_response
from paraph.api.schemas import (
    batch_out,
    contract_out,
)
from paraph.api.services import (
    idempotency_answering,
    idempotency_begin,
    idempotency_finish,
    idempotency_release,
)
from paraph.contracts.documents import contract_document_open
from paraph.contracts.models import Contract
from paraph.contracts.selectors import (
    batch_get_for_sender,
    contract_get_for_sender,
)
from paraph.contracts.services import (
    ContractAccessDenied,
    ContractError,
    ContractInvalid,
    ContractStateError,
    ContractUnavailable,
    FieldError,
    SignaturePlacement,
    contract_body_problems,
    contract_download_record,
    pdf_from_base64,
    pydantic_errors,
)
from paraph.core.context import Context
from paraph.core.moments import utc_iso
from paraph.senders.models import ApiKey


def contract_problem(exc: ContractError) -> Problem:
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


def api_key_scoped(request: HttpRequest, scope: str) -> ApiKey:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    if not key.has_scope(scope):
        raise Problem(403, "insufficient_scope", f"This API key lacks the scope {scope}.")
    return key


def contract_of_key(key: ApiKey, contract_id: str) -> Contract:
    try:
        return contract_get_for_sender(sender_id=key.sender_id, public_id=contract_id)
    except Contract.DoesNotExist:
        raise Problem(404, "not_found", "No contract with this id.") from None


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
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


def validation_problem(errors: list[FieldError]) -> Problem:
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


def request_parse(
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
            raise validation_problem(errors)
        assert upload is not None and raw is not None
        if upload.size is not None and upload.size > settings.SIGNING_MAX_PDF_BYTES:
            raise validation_problem(
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
            raise validation_problem(_all_problems(exc, raw)) from exc
        return parsed, upload.read()
    if request.content_type == "application/json":
        try:
            parsed = json_model.model_validate_json(request.body or b"{}")
        except PydanticError as exc:
            raise validation_problem(_all_problems(exc, request.body)) from exc
        try:
            pdf = pdf_from_base64(parsed.pdf_base64)
        except ContractInvalid as exc:
            raise validation_problem(exc.errors) from exc
        return parsed, pdf
    raise Problem(
        415,
        "unsupported_media_type",
        "Send application/json (with pdf_base64) or multipart/form-data (parts 'data' and 'pdf').",
    )


def request_fingerprint(request: HttpRequest, parsed: Any, pdf: bytes) -> str:
    fields = parsed.model_dump_json(exclude={"pdf_base64"})
    raw = f"{request.method} {request.path}\n{fields}\n{hashlib.sha256(pdf).hexdigest()}"
    return hashlib.sha256(raw.encode()).hexdigest()


def idempotent(
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
            response = created_before(key, start.row.resource_type, start.row.resource_id)
        else:
            with idempotency_answering(start.row):
                response = make()
    except Problem as exc:
        response = problem_response(request, exc)
    except ContractError as exc:
        response = problem_response(request, contract_problem(exc))
    except BaseException:
        idempotency_release(row=start.row)
        raise
    idempotency_finish(row=start.row, response=response)
    return response


def created_before(key: ApiKey, resource_type: str, public_id: str) -> HttpResponse:
    """The answer a request that died would have given for what it created."""
    if resource_type == "contracts.bulkbatch":
        batch = batch_get_for_sender(sender_id=key.sender_id, public_id=public_id)
        return json_response(
            batch_out(batch), status=202, headers={"Location": f"/api/batches/{batch.public_id}"}
        )
    return contract_created(Contract.objects.get(sender_id=key.sender_id, public_id=public_id))


def signature_placement(signature: Any) -> SignaturePlacement | None:
    if signature is None:
        return None
    return SignaturePlacement(page=signature.page, box=signature.box)


def contract_created(contract: Contract) -> HttpResponse:
    return json_response(
        contract_out(contract),
        status=201,
        headers={"Location": f"/api/contracts/{contract.public_id}"},
    )


def document_download(
    request: HttpRequest, key: ApiKey, contract: Contract, which: str, filename: str
) -> FileResponse:
    """The contract's document ``which`` ("document" or "signed"), checked
    against its SHA-256 and streamed (DocumentUnavailable, a 503 problem,
    otherwise), and the download recorded."""
    context = Context.from_request(request)
    handle = contract_document_open(contract=contract, which=which, context=context)
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=True, filename=filename
    )
    response["Cache-Control"] = "no-store"
    contract_download_record(contract=contract, what=which, api_key=key, context=context)
    return response
