"""A sender's contracts: the list, a new contract, its page, revoking and
re-offering it, its files and its evidence (every download audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from paraph.contracts.documents import contract_document_open
from paraph.contracts.evidence import contract_evidence_pdf, evidence_pdf_response
from paraph.contracts.models import Contract, ContractStatus
from paraph.contracts.selectors import (
    contract_evidence,
    contract_get_for_sender,
    contract_list_for_sender,
)
from paraph.contracts.services import (
    ContractData,
    ContractError,
    ContractInvalid,
    RecipientData,
    SignaturePlacement,
    contract_can_reoffer,
    contract_create,
    contract_download_record,
    contract_reoffer,
    contract_revoke,
    person_or_company_error,
)
from paraph.core.context import Context
from paraph.senderdesk.forms import (
    ContractForm,
    ReofferForm,
    RevokeForm,
)
from paraph.senderdesk.views.access import CONTRACTS_PER_PAGE, page_context, sender_required
from paraph.signing.exceptions import SigningError

# --- Contracts ----------------------------------------------------------------------


@sender_required()
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The sender's contracts, newest first, with filters."""
    status = [s for s in request.GET.getlist("status") if s in ContractStatus.values]
    search = request.GET.get("q", "").strip()[:100]
    qs = contract_list_for_sender(
        sender_id=request.sender.pk,  # type: ignore[attr-defined]
        status=status or None,
        search=search,
    )
    page = Paginator(qs, CONTRACTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "senders/home.html",
        page_context(
            request,
            page_obj=page,
            statuses=ContractStatus.choices,
            chosen_status=status,
            search=search,
        ),
    )


def _contract_data(form: ContractForm) -> ContractData:
    data = form.cleaned_data
    errors = []
    company = (data.get("enterprise_number") or "").strip()
    person_given = any(
        data.get(name) for name in ("first_name", "last_name", "phone", "national_number")
    )
    if company and person_given:
        # One recipient: a person or a company (ADR 35).
        errors.append(person_or_company_error(both=True))
        company = ""
    return ContractData(
        title=data["title"],
        recipient=RecipientData(
            first_name="" if company else data["first_name"],
            last_name="" if company else data["last_name"],
            email=data["email"],
            phone="" if company else data["phone"],
            national_number=None if company else data["national_number"] or None,
            language=data["language"],
            company_number=company or None,
        ),
        errors=errors,
        # The form's moments are aware, in the site's time zone (Brussels).
        start_of_work=data["start_of_work"],
        deadline=data["signing_deadline"],
        placement=SignaturePlacement(page=data["signature_page"])
        if data["signature_page"]
        else None,
        external_reference=data["external_reference"],
    )


@sender_required()
@require_http_methods(["GET", "POST"])
def contract_new(request: HttpRequest) -> HttpResponse:
    """Send a contract: the recipient, the start of work, the PDF."""
    status = 200
    if request.method == "POST":
        form = ContractForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                contract = contract_create(
                    sender=request.sender,  # type: ignore[attr-defined]
                    data=_contract_data(form),
                    pdf=form.cleaned_data["pdf"].read(),
                    actor=request.user,  # type: ignore[arg-type]
                    context=Context.from_request(request),
                )
            except ContractInvalid as exc:
                form.add_service_errors(exc.errors)
                status = 422
            except ContractError as exc:
                form.add_error(None, str(exc))
                status = 503 if exc.code == "seal_unavailable" else 409
            else:
                messages.success(
                    request,
                    _("The contract was sent to %(email)s.") % {"email": contract.recipient_email},
                )
                return redirect("senders:contract_detail", contract_id=contract.public_id)
        else:
            status = 422
    else:
        form = ContractForm()
    return render(
        request, "senders/contract_new.html", page_context(request, form=form), status=status
    )


def _get_contract(request: HttpRequest, contract_id: Any) -> Contract:
    try:
        return contract_get_for_sender(
            sender_id=request.sender.pk,  # type: ignore[attr-defined]
            public_id=contract_id,
        )
    except Contract.DoesNotExist:
        raise Http404 from None


def _detail_ctx(
    request: HttpRequest, contract: Contract, reoffer_form: ReofferForm | None = None
) -> dict[str, Any]:
    events = list(contract.events.all())
    return page_context(
        request,
        contract=contract,
        events=events,
        refusal=next((e for e in reversed(events) if e.name == "refused"), None),
        reoffer_form=reoffer_form or ReofferForm(),
        can_revoke=not contract.is_final,
        can_reoffer=contract_can_reoffer(contract),
        reoffer_open=reoffer_form is not None,
    )


@sender_required()
@require_safe
def contract_detail(request: HttpRequest, contract_id: Any) -> HttpResponse:
    contract = _get_contract(request, contract_id)
    return render(request, "senders/contract_detail.html", _detail_ctx(request, contract))


def _revoke_refused(request: HttpRequest, contract: Contract) -> HttpResponse:
    messages.error(
        request,
        _("This contract can no longer be revoked: it is %(status)s.")
        % {"status": contract.get_status_display()},
    )
    return redirect("senders:contract_detail", contract_id=contract.public_id)


@sender_required()
@require_http_methods(["GET", "POST"])
def contract_revoke_view(request: HttpRequest, contract_id: Any) -> HttpResponse:
    """Revoking asks first: the page says what follows and needs a reason,
    kept in the contract's history and evidence."""
    contract = _get_contract(request, contract_id)
    if contract.is_final:
        return _revoke_refused(request, contract)
    status = 200
    if request.method == "POST":
        form = RevokeForm(request.POST)
        if form.is_valid():
            try:
                contract_revoke(
                    contract=contract,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,  # type: ignore[arg-type]
                    context=Context.from_request(request),
                )
            except ContractError as exc:
                if exc.code in ("already_signed", "final"):
                    contract.refresh_from_db()
                    return _revoke_refused(request, contract)
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(request, _("The contract was revoked; the recipient was told."))
                return redirect("senders:contract_detail", contract_id=contract.public_id)
        else:
            status = 422
    else:
        form = RevokeForm()
    return render(
        request,
        "senders/contract_revoke.html",
        page_context(request, contract=contract, form=form),
        status=status,
    )


@sender_required()
@require_POST
def contract_reoffer_view(request: HttpRequest, contract_id: Any) -> HttpResponse:
    contract = _get_contract(request, contract_id)
    form = ReofferForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            new = contract_reoffer(
                contract=contract,
                pdf=data["pdf"].read(),
                title=data["title"] or None,
                start_of_work=data["start_of_work"],
                deadline=data["signing_deadline"],
                actor=request.user,  # type: ignore[arg-type]
                context=Context.from_request(request),
            )
        except ContractInvalid as exc:
            form.add_service_errors(exc.errors)
        except ContractError as exc:
            if exc.code in ("already_signed", "final"):
                # The page no longer offers a re-offer: say why there.
                messages.error(request, str(exc))
                return redirect("senders:contract_detail", contract_id=contract.public_id)
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Version %(version)d was sent.") % {"version": new.version})
            return redirect("senders:contract_detail", contract_id=new.public_id)
    return render(
        request, "senders/contract_detail.html", _detail_ctx(request, contract, form), status=422
    )


_FILES = {"original": "original_pdf", "document": "document_pdf", "signed": "signed_pdf"}


@sender_required()
@require_safe
def contract_file(request: HttpRequest, contract_id: Any, what: str) -> FileResponse:
    """The original, the document sent (sealed) or the signed PDF."""
    contract = _get_contract(request, contract_id)
    field = _FILES.get(what)
    if field is None or not getattr(contract, field):
        raise Http404
    # Checked before anything is recorded or sent (DocumentUnavailable: an error page).
    handle = contract_document_open(
        contract=contract, which=what, context=Context.from_request(request)
    )
    contract_download_record(
        contract=contract,
        what=what,
        actor=request.user,  # type: ignore[arg-type]
        context=Context.from_request(request),
    )
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{contract.external_reference or 'contract'}-{what}.pdf".replace("/", "-"),
    )
    response["Cache-Control"] = "no-store"
    return response


@sender_required()
@require_safe
def contract_evidence_view(request: HttpRequest, contract_id: Any) -> HttpResponse:
    contract = _get_contract(request, contract_id)
    contract_download_record(
        contract=contract,
        what="evidence",
        actor=request.user,  # type: ignore[arg-type]
        context=Context.from_request(request),
    )
    response = JsonResponse(contract_evidence(contract=contract), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="evidence-{contract.public_id}.json"'
    response["Cache-Control"] = "no-store"
    return response


@sender_required()
@require_safe
def contract_evidence_pdf_view(request: HttpRequest, contract_id: Any) -> HttpResponse:
    """The evidence as a PDF sealed by Paraph, in the page's language."""
    contract = _get_contract(request, contract_id)
    try:
        data = contract_evidence_pdf(
            contract=contract,
            language=translation.get_language(),
            actor=request.user,  # type: ignore[arg-type]
            context=Context.from_request(request),
        )
    except SigningError:
        messages.error(
            request, _("Paraph's seal is unavailable for a moment: try again in a few minutes.")
        )
        return redirect("senders:contract_detail", contract_id=contract.public_id)
    return evidence_pdf_response(contract, data)
