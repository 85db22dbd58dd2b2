"""The evidence PDF of one of the person's contracts, sealed by Paraph."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_safe

from paraph.contracts.evidence import contract_evidence_pdf, evidence_pdf_response
from paraph.contracts.models import Contract
from paraph.contracts.selectors import contract_get_for_person


@login_required
@require_safe
def evidence_pdf(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Only the person's own contracts; any other is a 404."""
    try:
        contract = contract_get_for_person(
            person=request.user,  # type: ignore[arg-type]
            public_id=public_id,
        )
    except Contract.DoesNotExist:
        raise Http404 from None
    if contract.status == "created":
        raise Http404
    data = contract_evidence_pdf(
        contract=contract,
        language=translation.get_language(),
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    return evidence_pdf_response(contract, data)
