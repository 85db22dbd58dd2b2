"""The page that explains each kind of problem the API answers: the
``type`` of every problem document points at its entry here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from paraph.api.problems import TITLES

EXPLANATIONS = {
    "bad_request": "The request cannot be read (e.g. an empty Idempotency-Key).",
    "unauthenticated": "No API key, an unknown key, or a revoked one. Send Authorization: Bearer <key>.",
    "insufficient_scope": "The key works but lacks the scope this operation needs.",
    "not_found": "No such contract, batch, endpoint or address for this sender. A contract of another sender is also 'not found'.",
    "method_not_allowed": "The address exists, but not with this HTTP method.",
    "conflict": "The contract's state does not allow this (e.g. revoking a signed contract); 'errors' holds the precise code.",
    "payload_too_large": "The JSON body is larger than the API accepts: send the PDF as multipart/form-data.",
    "unsupported_media_type": "Send application/json or multipart/form-data.",
    "validation": "The data is wrong; 'errors' lists each field ('field', 'code', 'message'), all at once. Nothing was written.",
    "idempotency_key_reused": "The Idempotency-Key was used in the last 24 hours with another request body.",
    "idempotency_key_in_use": "The first request with this key is still being answered; retry after Retry-After seconds.",
    "rate_limited": "Too many requests for this key (or wrong keys from this address); retry after Retry-After seconds.",
    "internal": "An unexpected error; it is logged on Paraph's side. Retrying a creation with the same Idempotency-Key is safe.",
    "unavailable": "A service Paraph needs (its seal, the time-stamp authority) did not answer; nothing was written. Retry later.",
    "not_signed_yet": "The signed PDF exists only once the contract is signed.",
    "document_unavailable": "The stored PDF is missing or its SHA-256 is not the one recorded when it was stored: it is never served then. Paraph's operators are alerted; the contract's record and evidence are intact.",
}


@require_safe
def problems_page(request: HttpRequest) -> HttpResponse:
    problems = [
        {"code": code, "title": title, "explanation": EXPLANATIONS.get(code, "")}
        for code, title in TITLES.items()
    ]
    return render(request, "api/problems.html", {"problems": problems})
