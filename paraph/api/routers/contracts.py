"""The contracts: create and send, list, read, revoke, re-offer, and
download the documents and the evidence (ES-2, ES-3, ES-13)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.http import urlencode
from ninja import Query, Router, Schema
from pydantic import Field

from paraph.api.common import (
    PDF_RESPONSE,
    api_key_scoped,
    contract_created,
    contract_of_key,
    document_download,
    idempotent,
    json_response,
    request_fingerprint,
    request_parse,
    signature_placement,
)
from paraph.api.problems import Problem
from paraph.api.schemas import (
    ContractDetailOut,
    ContractOut,
    ContractPageOut,
    RevokeIn,
    contract_out,
)
from paraph.contracts.evidence import contract_evidence_pdf, evidence_pdf_response
from paraph.contracts.inputs import ContractIn, ContractJsonIn, ReofferIn, ReofferJsonIn
from paraph.contracts.models import ContractStatus
from paraph.contracts.selectors import (
    contract_evidence,
    contract_list_for_sender,
)
from paraph.contracts.services import (
    ContractData,
    contract_create,
    contract_download_record,
    contract_reoffer,
    contract_revoke,
)
from paraph.core.context import Context
from paraph.senders.models import ApiScope
from paraph.signing.exceptions import SigningError

router = Router()

PAGE_SIZE_MAX = 100


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


@router.post(
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
    key = api_key_scoped(request, ApiScope.CONTRACTS_WRITE)
    parsed, pdf = request_parse(request, ContractIn, ContractJsonIn)

    def make() -> HttpResponse:
        contract = contract_create(
            sender=key.sender,
            data=ContractData.from_input(parsed),
            pdf=pdf,
            api_key=key,
            context=Context.from_request(request),
        )
        return contract_created(contract)

    return idempotent(request, key, request_fingerprint(request, parsed, pdf), make)


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


@router.get("/contracts", response=ContractPageOut, summary="List contracts", tags=["contracts"])
def contracts_list(request: HttpRequest, filters: Query[ContractFilters]) -> HttpResponse:
    """The sender's contracts, newest first, filtered; `page` and
    `page_size` (at most 100). Needs `contracts:read`."""
    key = api_key_scoped(request, ApiScope.CONTRACTS_READ)
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

    return json_response(
        {
            "count": paginator.count,
            "page": filters.page,
            "page_size": filters.page_size,
            "next": link(filters.page + 1) if page is not None and page.has_next() else None,
            "previous": link(filters.page - 1) if filters.page > 1 else None,
            "results": [contract_out(c) for c in page] if page is not None else [],
        }
    )


@router.get(
    "/contracts/{contract_id}",
    response=ContractDetailOut,
    summary="Get a contract with its history",
    tags=["contracts"],
)
def contracts_get(request: HttpRequest, contract_id: str) -> HttpResponse:
    """Needs `contracts:read`. Another sender's contract is a 404."""
    key = api_key_scoped(request, ApiScope.CONTRACTS_READ)
    return json_response(contract_out(contract_of_key(key, contract_id), with_history=True))


@router.post(
    "/contracts/{contract_id}/revoke",
    response=ContractOut,
    summary="Revoke a contract (until it is signed)",
    tags=["contracts"],
)
def contracts_revoke(request: HttpRequest, contract_id: str, payload: RevokeIn) -> HttpResponse:
    """The contract can no longer be signed; the recipient is told. A signed
    or closed contract answers 409. Needs `contracts:write`."""
    key = api_key_scoped(request, ApiScope.CONTRACTS_WRITE)
    contract = contract_revoke(
        contract=contract_of_key(key, contract_id),
        reason=payload.reason,
        api_key=key,
        context=Context.from_request(request),
    )
    return json_response(contract_out(contract))


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


@router.post(
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
    key = api_key_scoped(request, ApiScope.CONTRACTS_WRITE)
    contract = contract_of_key(key, contract_id)
    parsed, pdf = request_parse(request, ReofferIn, ReofferJsonIn)

    def make() -> HttpResponse:
        new = contract_reoffer(
            contract=contract,
            pdf=pdf,
            title=parsed.title,
            start_of_work=parsed.start_of_work,
            deadline=parsed.signing_deadline,
            placement=signature_placement(parsed.signature),
            api_key=key,
            context=Context.from_request(request),
        )
        return contract_created(new)

    return idempotent(request, key, request_fingerprint(request, parsed, pdf), make)


@router.get(
    "/contracts/{contract_id}/signed.pdf",
    openapi_extra=PDF_RESPONSE,
    summary="Download the signed PDF",
    tags=["contracts"],
)
def contracts_signed_pdf(request: HttpRequest, contract_id: str) -> FileResponse:
    """The PDF as signed by the recipient (PAdES, time-stamped). 409 while
    the contract is not signed. Needs `contracts:read`."""
    key = api_key_scoped(request, ApiScope.CONTRACTS_READ)
    contract = contract_of_key(key, contract_id)
    if not contract.signed_pdf:
        raise Problem(409, "not_signed_yet", f"The contract is {contract.status}, not signed.")
    return document_download(
        request, key, contract, "signed", f"contract-{contract.public_id}-signed.pdf"
    )


@router.get(
    "/contracts/{contract_id}/document.pdf",
    openapi_extra=PDF_RESPONSE,
    summary="Download the document sent for signing",
    tags=["contracts"],
)
def contracts_document_pdf(request: HttpRequest, contract_id: str) -> FileResponse:
    """The PDF as sent: the original, certified by Paraph's seal. Needs
    `contracts:read`."""
    key = api_key_scoped(request, ApiScope.CONTRACTS_READ)
    contract = contract_of_key(key, contract_id)
    return document_download(
        request, key, contract, "document", f"contract-{contract.public_id}.pdf"
    )


@router.get(
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
    key = api_key_scoped(request, ApiScope.CONTRACTS_READ)
    contract = contract_of_key(key, contract_id)
    contract_download_record(
        contract=contract, what="evidence", api_key=key, context=Context.from_request(request)
    )
    return json_response(contract_evidence(contract=contract))


@router.get(
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
    key = api_key_scoped(request, ApiScope.CONTRACTS_READ)
    contract = contract_of_key(key, contract_id)
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
