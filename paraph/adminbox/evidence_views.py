"""The evidence PDF of one of the person's contracts, sealed by Paraph."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_safe

from paraph.adminbox.views import contract_or_404
from paraph.contracts.evidence import contract_evidence_pdf, evidence_pdf_response
from paraph.core.context import Context


@login_required
@require_safe
def evidence_pdf(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Only the person's own contracts; any other is a 404."""
    contract = contract_or_404(request, public_id)
    if contract.status == "created":
        raise Http404
    data = contract_evidence_pdf(
        contract=contract,
        language=translation.get_language(),
        actor=request.user,  # type: ignore[arg-type]
        context=Context.from_request(request),
    )
    return evidence_pdf_response(contract, data)
