"""A contract's page, where the person reads it before signing or refusing
it (ES-10), its page images, its download, its report and its refusal.
Another person's contract is a 404."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from paraph.adminbox import rendering
from paraph.adminbox.forms import (
    RefuseForm,
)
from paraph.adminbox.selectors import (
    contract_successor_for_person,
)
from paraph.adminbox.views.common import (
    person_of,
)
from paraph.contracts.companies import acting_company_number
from paraph.contracts.documents import contract_document_open, contract_document_read
from paraph.contracts.models import Contract, ContractStatus
from paraph.contracts.selectors import contract_get_for_person
from paraph.contracts.services import (
    ContractAccessDenied,
    ContractNotSignable,
    contract_check_signable,
    contract_download_record,
    contract_open,
    contract_refuse,
)
from paraph.core.context import Context
from paraph.core.storage import DocumentUnavailable

logger = logging.getLogger(__name__)


# --- A contract ---------------------------------------------------------------


def contract_or_404(request: HttpRequest, public_id: Any) -> Contract:
    """One of the logged-in person's contracts (or of the company she acts
    for); any other is a 404, whether it exists or not."""
    try:
        return contract_get_for_person(
            person=person_of(request),
            public_id=public_id,
            company_number=acting_company_number(request),
        )
    except Contract.DoesNotExist as exc:
        raise Http404 from exc


def _shown_pdf(contract: Contract) -> tuple[str, str]:
    """Which document the person sees: the signed PDF once signed, else
    the document to sign; with its SHA-256."""
    if contract.signed_pdf and contract.signed_sha256:
        return "signed", contract.signed_sha256
    return "document", contract.document_sha256


@never_cache
@login_required
@require_GET
def contract_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The contract to read (ES-10), then sign or refuse."""
    person = person_of(request)
    contract = contract_or_404(request, public_id)
    try:
        contract = contract_open(
            contract=contract, person=person, context=Context.from_request(request)
        )
    except ContractAccessDenied as exc:
        raise Http404 from exc
    reason = None
    try:
        contract_check_signable(contract=contract, person=person)
    except ContractNotSignable as exc:
        reason = exc
    which, sha256 = _shown_pdf(contract)
    sizes = rendering.page_sizes(
        load=lambda: contract_document_read(
            contract=contract, which=which, context=Context.from_request(request)
        ),
        sha256=sha256,
    )
    successor = None
    if contract.status == ContractStatus.SUPERSEDED:
        successor = contract_successor_for_person(person=person, contract=contract)
    return render(
        request,
        "adminbox/contract.html",
        {
            "contract": contract,
            "signable": reason is None,
            "reason": reason,
            "successor": successor,
            "pages": [
                {"number": n, "width": width, "height": height}
                for n, (width, height) in enumerate(sizes, start=1)
            ],
            "page_count": len(sizes),
            "tab": "tasks",
        },
    )


@login_required
@require_GET
def contract_page_image(request: HttpRequest, public_id: Any, number: int) -> HttpResponse:
    """One page of the contract as a PNG, for the person's eyes only; a
    page that cannot be drawn shows a placeholder saying so, never an error."""
    contract = contract_or_404(request, public_id)
    which, sha256 = _shown_pdf(contract)
    try:
        png = rendering.page_png(
            load=lambda: contract_document_read(
                contract=contract, which=which, context=Context.from_request(request)
            ),
            sha256=sha256,
            number=number,
        )
    except rendering.PageNotFound as exc:
        raise Http404 from exc
    except rendering.PageNotRendered as exc:
        logger.warning(
            "Page %d of contract %s (document %s) not rendered: %s",
            number,
            contract.public_id,
            sha256,
            exc,
        )
        response = HttpResponse(rendering.placeholder_png(), content_type="image/png")
        # Not kept: the next visit tries the page again.
        response["Cache-Control"] = "private, no-store"
        return response
    response = HttpResponse(png, content_type="image/png")
    # The image never changes for this hash; only this person's browser keeps it.
    response["Cache-Control"] = "private, max-age=86400"
    return response


_UNSAFE = re.compile(r"[^\w.-]+")


def _filename(contract: Contract, suffix: str) -> str:
    stem = _UNSAFE.sub("-", contract.title).strip("-")[:80] or "contract"
    return f"{stem}{suffix}.pdf"


@login_required
@require_GET
def download(request: HttpRequest, public_id: Any) -> FileResponse:
    """The signed PDF once signed, else the document to sign."""
    person = person_of(request)
    contract = contract_or_404(request, public_id)
    signed = bool(contract.signed_pdf)
    which = "signed" if signed else "document"
    # Checked before anything is recorded or sent (DocumentUnavailable: an error page).
    handle = contract_document_open(
        contract=contract, which=which, context=Context.from_request(request)
    )
    contract_download_record(
        contract=contract, what=which, actor=person, context=Context.from_request(request)
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=_filename(contract, "-signed" if signed else ""),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@login_required
@require_GET
def report(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The validation report of the signed PDF, as /verify/ gives it."""
    from paraph.signing.exceptions import DocumentRejected
    from paraph.signing.selectors import signature_report

    contract = contract_or_404(request, public_id)
    if not contract.signed_pdf:
        raise Http404
    problem = None
    result = None
    try:
        data = contract_document_read(
            contract=contract, which="signed", context=Context.from_request(request)
        )
    except DocumentUnavailable:  # logged, counted and audited on the way
        data = None
    if data is None:
        problem = _(
            "The signed document cannot be checked right now: the copy Paraph keeps is "
            "unavailable. Nothing is lost from your adminbox's record; the contact centre "
            "has been told."
        )
    else:
        try:
            result = signature_report(data)
        except DocumentRejected:
            problem = _("This document could not be read to check its signatures.")
    return render(
        request,
        "adminbox/report.html",
        {"contract": contract, "report": result, "problem": problem, "tab": "documents"},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def refuse(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Refuse to sign, after a confirmation, with an optional reason."""
    person = person_of(request)
    contract = contract_or_404(request, public_id)
    contract_url = reverse("adminbox:contract", args=[contract.public_id])
    try:
        contract_check_signable(contract=contract, person=person)
    except ContractNotSignable as exc:
        messages.error(request, str(exc))
        return redirect(contract_url)
    form = RefuseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contract_refuse(
                contract=contract,
                person=person,
                reason=form.cleaned_data["reason"],
                context=Context.from_request(request),
            )
        except ContractNotSignable as exc:
            messages.error(request, str(exc))
            return redirect(contract_url)
        messages.success(
            request,
            _("You refused to sign “%(title)s”. %(sender)s is told.")
            % {"title": contract.title, "sender": contract.sender.name},
        )
        return redirect("adminbox:documents")
    return render(
        request,
        "adminbox/refuse.html",
        {"contract": contract, "form": form, "tab": "tasks"},
    )
