"""The sender back office (/sender/): the staff of a temporary-work agency
or an insurer send contracts, follow them, revoke and re-offer them,
download the signed PDFs and their evidence, manage API keys and webhooks,
and upload bulk sends. Log-in is the usual SMS-code log-in; access needs a
``SenderMembership``. And the public "interested? contact us" page (ES-14).

Views parse, call a service, render; every change is audited by its
service, and so is every download."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from paraph.contracts.documents import contract_document_open
from paraph.contracts.evidence import contract_evidence_pdf, evidence_pdf_response
from paraph.contracts.models import BulkBatch, Contract, ContractStatus
from paraph.contracts.selectors import (
    batch_get_for_sender,
    batch_items,
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
    batch_create,
    contract_can_reoffer,
    contract_create,
    contract_download_record,
    contract_reoffer,
    contract_revoke,
    person_or_company_error,
)
from paraph.core.context import Context
from paraph.senderdesk.bulk import bulk_entries_from_upload
from paraph.senderdesk.forms import (
    ApiKeyForm,
    BulkForm,
    ContractForm,
    ReofferForm,
    RevokeForm,
    SalesContactForm,
    WebhookForm,
)
from paraph.senders.models import ApiKey, SenderMembership, WebhookDelivery, WebhookEndpoint
from paraph.senders.services import (
    SenderError,
    api_key_create,
    api_key_revoke,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_ping,
    webhook_endpoint_set_active,
    webhook_secret_rotate,
)
from paraph.signing.exceptions import SigningError
from paraph.support.services import TicketRateLimited, ticket_create

SESSION_SENDER = "paraph_sender_id"
CONTRACTS_PER_PAGE = 25
DELIVERIES_PER_PAGE = 25

View = Callable[..., HttpResponseBase]


# --- Who may use the back office ---------------------------------------------------


def _memberships(request: HttpRequest) -> list[SenderMembership]:
    return list(
        SenderMembership.objects.filter(person_id=request.user.pk or 0, sender__is_active=True)
        .select_related("sender")
        .order_by("sender__name")
    )


def sender_required(*, admin: bool = False) -> Callable[[View], View]:
    """The view runs with ``request.membership`` (and ``request.sender``):
    the sender chosen in this session among the person's memberships.
    Without a membership: a page saying so (403); ``admin`` views refuse
    staff members (403)."""

    def decorate(view: View) -> View:
        @login_required
        @never_cache
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            memberships = _memberships(request)
            if not memberships:
                return render(request, "senders/no_access.html", status=403)
            chosen = request.session.get(SESSION_SENDER)
            membership = next((m for m in memberships if m.sender_id == chosen), None)
            if membership is None:
                if len(memberships) > 1:
                    return redirect(f"{reverse('senders:choose')}?next={request.path}")
                membership = memberships[0]
                request.session[SESSION_SENDER] = membership.sender_id
            if admin and not membership.is_admin:
                return render(
                    request,
                    "senders/no_access.html",
                    {"membership": membership, "admin_only": True},
                    status=403,
                )
            request.membership = membership  # type: ignore[attr-defined]
            request.sender = membership.sender  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _nav(request: HttpRequest) -> str:
    """Which entry of the back office's menu the page belongs to."""
    name = request.resolver_match.url_name if request.resolver_match else ""
    for prefix, entry in (
        ("contract_new", "new"),
        ("contract", "contracts"),
        ("home", "contracts"),
        ("bulk", "bulk"),
        ("key", "keys"),
        ("webhook", "webhooks"),
    ):
        if (name or "").startswith(prefix):
            return entry
    return ""


def _ctx(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "membership": request.membership,  # type: ignore[attr-defined]
        "sender": request.sender,  # type: ignore[attr-defined]
        "nav": _nav(request),
        **extra,
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest) -> HttpResponse:
    """Pick which sender to work for, for a person in several."""
    memberships = _memberships(request)
    if not memberships:
        return render(request, "senders/no_access.html", status=403)
    if request.method == "POST":
        try:
            chosen = int(request.POST.get("sender", ""))
        except ValueError:
            chosen = 0
        if any(m.sender_id == chosen for m in memberships):
            request.session[SESSION_SENDER] = chosen
            next_url = request.POST.get("next", "")
            if not next_url.startswith("/sender/"):
                next_url = reverse("senders:home")
            return redirect(next_url)
    return render(
        request,
        "senders/choose.html",
        {"memberships": memberships, "next": request.GET.get("next", "")},
    )


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
        _ctx(
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
    return render(request, "senders/contract_new.html", _ctx(request, form=form), status=status)


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
    return _ctx(
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
        _ctx(request, contract=contract, form=form),
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


# --- Bulk sends -------------------------------------------------------------------------


@sender_required()
@require_http_methods(["GET", "POST"])
def bulk_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = BulkForm(request.POST, request.FILES)
        if form.is_valid():
            zip_upload = form.cleaned_data["zip_file"]
            if zip_upload.size and zip_upload.size > settings.API_MAX_REQUEST_BYTES:
                form.add_error("zip_file", _("The zip file is too large."))
            else:
                try:
                    entries = bulk_entries_from_upload(
                        csv_file=form.cleaned_data["csv_file"],
                        zip_file=zip_upload,
                        default_title=form.cleaned_data["title"],
                    )
                    batch = batch_create(
                        sender=request.sender,  # type: ignore[attr-defined]
                        entries=entries,
                        source="csv",
                        actor=request.user,  # type: ignore[arg-type]
                        context=Context.from_request(request),
                    )
                except ValidationError as exc:
                    for name, errors in exc.message_dict.items():
                        for message in errors:
                            form.add_error(name if name in form.fields else None, message)
                except ContractInvalid as exc:
                    for error in exc.errors:
                        form.add_error(None, error.message)
                else:
                    return redirect("senders:bulk_detail", batch_id=batch.public_id)
        status = 422
    else:
        form = BulkForm()
    recent = BulkBatch.objects.filter(sender=request.sender).order_by("-created_at")[:10]  # type: ignore[attr-defined]
    return render(
        request, "senders/bulk_new.html", _ctx(request, form=form, recent=recent), status=status
    )


def _get_batch(request: HttpRequest, batch_id: Any) -> BulkBatch:
    try:
        return batch_get_for_sender(
            sender_id=request.sender.pk,  # type: ignore[attr-defined]
            public_id=batch_id,
        )
    except BulkBatch.DoesNotExist:
        raise Http404 from None


@sender_required()
@require_safe
def bulk_detail(request: HttpRequest, batch_id: Any) -> HttpResponse:
    batch = _get_batch(request, batch_id)
    return render(
        request,
        "senders/bulk_detail.html",
        _ctx(request, batch=batch, items=list(batch_items(batch=batch))),
    )


@sender_required()
@require_safe
def bulk_progress(request: HttpRequest, batch_id: Any) -> HttpResponse:
    """What the progress bar polls."""
    batch = _get_batch(request, batch_id)
    return JsonResponse(
        {
            "status": batch.status,
            "total": batch.total,
            "processed": batch.processed,
            "succeeded": batch.succeeded,
            "failed": batch.failed,
            "percent": batch.percent,
            "text": _(
                "%(processed)s of %(total)s processed: %(succeeded)s sent, %(failed)s refused."
            )
            % {
                "processed": batch.processed,
                "total": batch.total,
                "succeeded": batch.succeeded,
                "failed": batch.failed,
            }
            + " "
            + str(batch.get_status_display()),
        }
    )


# --- API keys -------------------------------------------------------------------------------


@sender_required(admin=True)
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    """The sender's API keys; a new key is shown once, on this answer only."""
    new_key = ""
    status = 200
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                _key, new_key = api_key_create(
                    sender=request.sender,  # type: ignore[attr-defined]
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    actor=request.user,  # type: ignore[arg-type]
                    context=Context.from_request(request),
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
                status = 422
            else:
                form = ApiKeyForm()
        else:
            status = 422
    else:
        form = ApiKeyForm()
    response = render(
        request,
        "senders/keys.html",
        _ctx(
            request,
            form=form,
            new_key=new_key,
            keys=ApiKey.objects.filter(sender=request.sender).select_related("created_by"),  # type: ignore[attr-defined]
        ),
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@sender_required(admin=True)
@require_POST
def key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = ApiKey.objects.filter(sender=request.sender, pk=key_id).first()  # type: ignore[attr-defined]
    if key is None:
        raise Http404
    api_key_revoke(key=key, actor=request.user, context=Context.from_request(request))  # type: ignore[arg-type]
    messages.success(request, _("The key %(prefix)s was revoked.") % {"prefix": key.display_prefix})
    return redirect("senders:keys")


# --- Webhooks ----------------------------------------------------------------------------------


@sender_required(admin=True)
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    status = 200
    secret = ""
    reveal = request.method == "POST" and request.POST.get("action") == "reveal"
    if reveal:
        form = WebhookForm()
    elif request.method == "POST" and request.POST.get("action") == "rotate":
        secret = webhook_secret_rotate(
            sender=request.sender,  # type: ignore[attr-defined]
            actor=request.user,  # type: ignore[arg-type]
            context=Context.from_request(request),
        )
        messages.success(request, _("A new signing secret was made; the old one no longer works."))
        form = WebhookForm()
    elif request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                webhook_endpoint_create(
                    sender=request.sender,  # type: ignore[attr-defined]
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    description=form.cleaned_data["description"],
                    actor=request.user,  # type: ignore[arg-type]
                    context=Context.from_request(request),
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
                status = 422
            else:
                messages.success(request, _("The endpoint was added."))
                return redirect("senders:webhooks")
        else:
            status = 422
    else:
        form = WebhookForm()
    response = render(
        request,
        "senders/webhooks.html",
        _ctx(
            request,
            form=form,
            endpoints=WebhookEndpoint.objects.filter(sender=request.sender),  # type: ignore[attr-defined]
            secret=secret or (request.sender.webhook_secret if reveal else ""),  # type: ignore[attr-defined]
        ),
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _get_endpoint(request: HttpRequest, endpoint_id: Any) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(
        sender=request.sender,  # type: ignore[attr-defined]
        public_id=endpoint_id,
    ).first()
    if endpoint is None:
        raise Http404
    return endpoint


@sender_required(admin=True)
@require_safe
def webhook_detail(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    """The endpoint's delivery log, newest first."""
    endpoint = _get_endpoint(request, endpoint_id)
    page = Paginator(
        endpoint.deliveries.select_related("replay_of").order_by("-created_at", "-pk"),
        DELIVERIES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "senders/webhook_detail.html",
        _ctx(request, endpoint=endpoint, page_obj=page),
    )


@sender_required(admin=True)
@require_POST
def webhook_ping(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    endpoint = _get_endpoint(request, endpoint_id)
    webhook_endpoint_ping(
        endpoint=endpoint,
        actor=request.user,  # type: ignore[arg-type]
        context=Context.from_request(request),
    )
    messages.success(request, _("A test event was sent; its result is in the log below."))
    return redirect("senders:webhook_detail", endpoint_id=endpoint.public_id)


@sender_required(admin=True)
@require_POST
def webhook_toggle(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    endpoint = _get_endpoint(request, endpoint_id)
    webhook_endpoint_set_active(
        endpoint=endpoint,
        active=not endpoint.is_active,
        actor=request.user,  # type: ignore[arg-type]
        context=Context.from_request(request),
    )
    return redirect("senders:webhook_detail", endpoint_id=endpoint.public_id)


@sender_required(admin=True)
@require_POST
def webhook_replay(request: HttpRequest, delivery_id: Any) -> HttpResponse:
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(endpoint__sender=request.sender, public_id=delivery_id)  # type: ignore[attr-defined]
        .first()
    )
    if delivery is None:
        raise Http404
    try:
        webhook_delivery_replay(
            delivery=delivery,
            actor=request.user,  # type: ignore[arg-type]
            context=Context.from_request(request),
        )
    except SenderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The event was sent again."))
    return redirect("senders:webhook_detail", endpoint_id=delivery.endpoint.public_id)


# --- "Interested? Contact us" (ES-14) ---------------------------------------------------------


def _rate_limited_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "You have sent several messages in a short time. Please try again in %(minutes)d minute.",
        "You have sent several messages in a short time. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


SESSION_SALES_TICKET = "paraph_sales_ticket"


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    """For organisations interested in sending contracts with Paraph: the
    request reaches the sales queue of the support tickets."""
    status = 200
    person = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        form = SalesContactForm(request.POST)
        if form.honeypot_filled():
            request.session.pop(SESSION_SALES_TICKET, None)
            return redirect("senders:contact_sent")
        if form.is_valid():
            data = form.cleaned_data
            lines = [
                f"Organisation: {data['organisation']}",
                f"Enterprise number: {data['enterprise_number'] or '-'}",
                f"Phone: {data['phone'] or '-'}",
                f"Contracts a month: {data['volume'] or '-'}",
                "",
                data["message"],
            ]
            try:
                ticket = ticket_create(
                    topic="sales",
                    name=data["name"],
                    email=data["email"],
                    reference=data["enterprise_number"] or data["organisation"][:50],
                    message="\n".join(lines),
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    person=person,
                    context=Context.from_request(request),
                )
            except TicketRateLimited as exc:
                form.add_error(None, _rate_limited_message(exc.retry_after))
                status = 429
            else:
                request.session[SESSION_SALES_TICKET] = ticket.number
                return redirect("senders:contact_sent")
        else:
            status = 422
    else:
        form = SalesContactForm()
    return render(request, "senders/contact.html", {"form": form}, status=status)


@require_safe
def contact_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "senders/contact_sent.html",
        {"ticket_number": request.session.get(SESSION_SALES_TICKET, "")},
    )
