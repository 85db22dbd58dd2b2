"""The adminbox: activation from a contract's e-mail (ES-3, ES-4), the
tasks, documents and preferences tabs (ES-5, ES-9), and the contract page
where the person reads a contract before signing or refusing it (ES-10).

Every page about a contract reads it through the person's own contracts:
another person's contract, page image or download is a 404."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from paraph.accounts.feedback import tell_expired_code, tell_resend_cooldown, tell_wrong_code
from paraph.accounts.forms import CodeForm
from paraph.accounts.models import CodePurpose, NotificationChannel, Person
from paraph.accounts.services import ResendOutcome
from paraph.accounts.sessions import session_open
from paraph.accounts.views import locked_response
from paraph.adminbox import rendering
from paraph.adminbox.forms import (
    ActivationPhoneForm,
    DocumentFilterForm,
    NotificationForm,
    RefuseForm,
)
from paraph.adminbox.merge_views import MERGE_ADDRESS_KEY
from paraph.adminbox.selectors import (
    DOCUMENT_STATUSES,
    adminbox_documents,
    adminbox_tasks,
    contract_successor_for_person,
    page_number,
)
from paraph.adminbox.services import (
    ActivationOutcome,
    adminbox_activate,
    adminbox_activation_code_resend,
    adminbox_activation_code_send,
    person_notification_channel_set,
)
from paraph.contracts.companies import acting_company_number
from paraph.contracts.documents import contract_document_open, contract_document_read
from paraph.contracts.models import AccessLink, Contract, ContractStatus, LinkPurpose
from paraph.contracts.selectors import adminbox_is_active, contract_get_for_person
from paraph.contracts.services import (
    AccessLinkInvalid,
    ContractAccessDenied,
    ContractNotSignable,
    access_link_resolve,
    access_link_use,
    contract_check_signable,
    contract_download_record,
    contract_open,
    contract_refuse,
)
from paraph.core.belgium import phone_mask, phone_normalize
from paraph.core.context import Context
from paraph.core.http import rate_limited_response
from paraph.core.storage import DocumentUnavailable
from paraph.identity.views import code_page

logger = logging.getLogger(__name__)

# The activation in progress: the person, the links that brought them, the
# contract to open afterwards, the phone and the code attempt. Kept in the
# session, so the code only works in the browser that followed the link;
# the link's token itself is never kept.
ACTIVATION_KEY = "paraph_adminbox_activation"


def _person(request: HttpRequest) -> Person:
    person = request.user
    assert isinstance(person, Person)
    return person


# --- Links from the e-mail --------------------------------------------------


def _link_refused(request: HttpRequest, code: str, *, purpose: str) -> HttpResponse:
    """Each refusal in its own words: an unknown, expired or used link, or
    an adminbox that is already active."""
    status = {"unknown": 404, "expired": 410, "used": 410, "active": 410, "merged": 410}.get(
        code, 404
    )
    return render(
        request,
        "adminbox/link_refused.html",
        {"code": code, "purpose": purpose, "link_days": settings.CONTRACT_LINK_DAYS},
        status=status,
    )


def _activation_start(request: HttpRequest, link: AccessLink) -> HttpResponse:
    contract = link.contract
    request.session[ACTIVATION_KEY] = {
        "person": link.person_id,
        "links": [link.pk] if link.purpose == LinkPurpose.ACTIVATE else [],
        "contract_link": link.pk if link.purpose == LinkPurpose.OPEN_CONTRACT else None,
        "contract": str(contract.public_id) if contract is not None else "",
        "phone": "",
        "consent": False,
        "binding": "",
    }
    return redirect("adminbox:activation_phone")


@never_cache
@require_GET
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """The "activate your adminbox" link of a contract's e-mail (ES-3).
    Following it changes nothing yet (a mail scanner may follow links too):
    the activation happens when the SMS code is typed."""
    try:
        link = access_link_resolve(token=token, purpose=LinkPurpose.ACTIVATE)
    except AccessLinkInvalid as exc:
        return _link_refused(request, exc.code, purpose="activate")
    if adminbox_is_active(link.person):
        return _link_refused(request, "active", purpose="activate")
    if _someone_else(request, link):
        return render(request, "adminbox/link_other_person.html", status=403)
    return _activation_start(request, link)


def _someone_else(request: HttpRequest, link: AccessLink) -> bool:
    """Logged in to another adminbox than the link's: the link must not
    switch the session to the other person (they choose: merge, or log out
    and follow the link again)."""
    user = request.user
    return bool(user.is_authenticated and user.pk != link.person_id)


@never_cache
@require_GET
def contract_link(request: HttpRequest, token: str) -> HttpResponse:
    """The "your contract" link of the e-mail. An adminbox not yet active is
    activated first, then the contract opens (ES-4); an active one needs its
    owner logged in: the link logs nobody in by itself (ES-13)."""
    try:
        link = access_link_resolve(token=token, purpose=LinkPurpose.OPEN_CONTRACT)
    except AccessLinkInvalid as exc:
        return _link_refused(request, exc.code, purpose="contract")
    contract = link.contract
    assert contract is not None
    if _someone_else(request, link):
        return render(request, "adminbox/link_other_person.html", status=403)
    if not adminbox_is_active(link.person):
        return _activation_start(request, link)
    target = reverse("adminbox:contract", args=[contract.public_id])
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
    access_link_use(link=link, context=Context.from_request(request))
    return redirect(target)


# --- Activation: phone, then code -------------------------------------------


def _activation(request: HttpRequest) -> tuple[dict[str, Any], Person] | None:
    state = request.session.get(ACTIVATION_KEY)
    if not isinstance(state, dict) or not state.get("person"):
        return None
    person = Person.objects.filter(pk=state["person"], is_active=True).first()
    if person is None:
        return None
    return state, person


def _activation_links(state: dict[str, Any]) -> list[AccessLink] | None:
    """The links that started the activation, if they still work."""
    ids = list(state.get("links") or [])
    if state.get("contract_link"):
        ids.append(state["contract_link"])
    links = list(AccessLink.objects.select_related("contract").filter(pk__in=ids))
    now = timezone.now()
    for link in links:
        if link.expires_at <= now or (link.single_use and link.used_at is not None):
            return None
    return links if len(links) == len(ids) else None


def _activation_ended(request: HttpRequest) -> HttpResponse:
    request.session.pop(ACTIVATION_KEY, None)
    return render(request, "adminbox/activation_ended.html", status=410)


def _activation_done_url(state: dict[str, Any]) -> str:
    if state.get("contract"):
        return reverse("adminbox:contract", args=[state["contract"]])
    return reverse("adminbox:tasks")


def _steps(current: int) -> list[dict[str, Any]]:
    labels = [_("E-mail address"), _("Mobile phone"), _("Code")]
    return [
        {"label": label, "done": n < current, "current": n == current}
        for n, label in enumerate(labels)
    ]


def _activation_phone_initial(state: dict[str, Any], person: Person, links: list[Any]) -> str:
    """The number the phone step proposes: the one typed before, else the
    contract's or the account's, when it is a valid one."""
    initial = state.get("phone") or person.phone
    contract = next((link.contract for link in links if link.contract is not None), None)
    if contract is not None and contract.recipient_phone:
        initial = state.get("phone") or contract.recipient_phone
    try:
        return phone_normalize(initial) if initial else ""
    except ValidationError:
        return ""


def _activation_phone_posted(
    request: HttpRequest, person: Person, state: dict[str, Any], form: ActivationPhoneForm
) -> HttpResponse | None:
    """The code sent to the number typed: the next page, or None with the
    form saying why not."""
    phone = form.cleaned_data["phone"]
    if person.phone_verified_at and person.phone and phone != person.phone:
        form.add_error(
            "phone",
            _(
                "Your account already has a verified mobile number (%(phone)s). "
                "Type that number, or call the contact centre to change it."
            )
            % {"phone": phone_mask(person.phone)},
        )
        return None
    try:
        step = adminbox_activation_code_send(
            person=person, phone=phone, context=Context.from_request(request)
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    if step.outcome == ActivationOutcome.RATE_LIMITED:
        return rate_limited_response(request, step.retry_after)
    if step.outcome == ActivationOutcome.LOCKED:
        return locked_response(request, step.locked_until)
    if step.outcome == ActivationOutcome.ALREADY_ACTIVE:
        request.session.pop(ACTIVATION_KEY, None)
        return _link_refused(request, "active", purpose="activate")
    state.update(
        phone=phone,
        consent=bool(form.cleaned_data["consent_other_uses"]),
        binding=step.binding_token,
    )
    request.session[ACTIVATION_KEY] = state
    return redirect("adminbox:activation_code")


@never_cache
@require_http_methods(["GET", "POST"])
def activation_phone(request: HttpRequest) -> HttpResponse:
    """Step 2 of the activation: the mobile phone for the log-in codes."""
    found = _activation(request)
    if found is None:
        return _activation_ended(request)
    state, person = found
    if adminbox_is_active(person):
        request.session.pop(ACTIVATION_KEY, None)
        return _link_refused(request, "active", purpose="activate")
    links = _activation_links(state)
    if links is None:
        return _activation_ended(request)
    if request.method == "POST":
        form = ActivationPhoneForm(request.POST)
        if form.is_valid():
            answer = _activation_phone_posted(request, person, state, form)
            if answer is not None:
                return answer
    else:
        form = ActivationPhoneForm(
            initial={
                "phone": _activation_phone_initial(state, person, links),
                "consent_other_uses": state.get("consent"),
            }
        )
    return render(
        request,
        "adminbox/activation_phone.html",
        {"form": form, "person": person, "steps": _steps(1)},
    )


def _activation_answer(
    request: HttpRequest,
    person: Person,
    state: dict[str, Any],
    step: Any,
    form: CodeForm,
    done_url: str,
) -> HttpResponse | None:
    """The page after the activation code was checked, or None to show the
    code page again with the form's error."""
    outcome = step.outcome
    if outcome == ActivationOutcome.OK:
        session_open(request, person)
        request.session.pop(ACTIVATION_KEY, None)
        messages.success(request, _("Your adminbox is active. Welcome!"))
        return redirect(done_url)
    if outcome == ActivationOutcome.RATE_LIMITED:
        return rate_limited_response(request, step.retry_after)
    if outcome == ActivationOutcome.PHONE_OF_ANOTHER_ADMINBOX:
        return _phone_of_another_adminbox(request, person)
    if outcome in (ActivationOutcome.LOCKED, ActivationOutcome.LINK_USED):
        request.session.pop(ACTIVATION_KEY, None)
        if outcome == ActivationOutcome.LOCKED:
            return locked_response(request, step.locked_until)
        return _link_refused(request, "used", purpose="activate")
    if outcome == ActivationOutcome.WRONG and step.tries_left > 0:
        tell_wrong_code(form, step.tries_left)
        return None
    if outcome == ActivationOutcome.EXPIRED:
        tell_expired_code(form)
        return None
    state["binding"] = ""
    request.session[ACTIVATION_KEY] = state
    messages.error(
        request,
        _("This code can no longer be used. Check your number and ask for a new code."),
    )
    return redirect("adminbox:activation_phone")


@never_cache
@require_http_methods(["GET", "POST"])
def activation_code(request: HttpRequest) -> HttpResponse:
    """Step 3: the SMS code. The right code activates the adminbox, logs the
    person in and opens the contract that brought them."""
    found = _activation(request)
    if found is None:
        return _activation_ended(request)
    state, person = found
    if not state.get("binding"):
        return redirect("adminbox:activation_phone")
    links = _activation_links(state)
    if links is None:
        return _activation_ended(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done_url = _activation_done_url(state)
        try:
            step = adminbox_activate(
                person=person,
                phone=state["phone"],
                consent_other_uses=bool(state.get("consent")),
                binding_token=state["binding"],
                value=form.cleaned_data["code"],
                links=links,
                context=Context.from_request(request),
            )
        except ValidationError as exc:
            state["binding"] = ""
            request.session[ACTIVATION_KEY] = state
            messages.error(request, " ".join(exc.messages))
            return redirect("adminbox:activation_phone")
        answer = _activation_answer(request, person, state, step, form, done_url)
        if answer is not None:
            return answer
    return code_page(
        request,
        form=form,
        title=_("Enter the code we sent by SMS"),
        lead=_("We sent a code by SMS to %(phone)s.") % {"phone": phone_mask(state["phone"])},
        action=reverse("adminbox:activation_code"),
        resend=reverse("adminbox:activation_resend"),
        restart=reverse("adminbox:activation_phone"),
        binding=state["binding"],
        purpose=CodePurpose.PHONE_VERIFY,
        steps=_steps(2),
    )


def _phone_of_another_adminbox(request: HttpRequest, person: Person) -> HttpResponse:
    """The code proved the phone, which another adminbox uses: most likely
    the visitor's own. Lead them to log in there and identify this address
    (ES-12); the address waits in the session for the merge form."""
    request.session.pop(ACTIVATION_KEY, None)
    request.session[MERGE_ADDRESS_KEY] = person.email
    merge_url = reverse("adminbox:merge_request")
    return render(
        request,
        "adminbox/activation_phone_known.html",
        {
            "email": person.email,
            "login_url": f"{reverse('accounts:login')}?{urlencode({'next': merge_url})}",
            "steps": _steps(2),
        },
        status=409,
    )


@never_cache
@require_POST
def activation_resend(request: HttpRequest) -> HttpResponse:
    found = _activation(request)
    if found is None:
        return _activation_ended(request)
    state, person = found
    if not state.get("binding"):
        return redirect("adminbox:activation_phone")
    result = adminbox_activation_code_resend(
        person=person,
        phone=state["phone"],
        binding_token=state["binding"],
        context=Context.from_request(request),
    )
    if result.outcome == ResendOutcome.SENT:
        messages.success(request, _("A new code is on its way. The previous code no longer works."))
    elif result.outcome == ResendOutcome.COOLDOWN:
        tell_resend_cooldown(request, result.retry_after)
    elif result.outcome == ResendOutcome.LOCKED:
        request.session.pop(ACTIVATION_KEY, None)
        return locked_response(request, result.locked_until)
    elif result.outcome == ResendOutcome.LIMITED and result.retry_after:
        return rate_limited_response(request, result.retry_after)
    else:
        state["binding"] = ""
        request.session[ACTIVATION_KEY] = state
        messages.error(
            request, _("This code can no longer be used. Check your number and ask for a new code.")
        )
        return redirect("adminbox:activation_phone")
    return redirect("adminbox:activation_code")


# --- Tabs -------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    """What waits for the person's signature, soonest deadline first."""
    page = adminbox_tasks(
        person=_person(request),
        number=page_number(request.GET.get("page")),
        company_number=acting_company_number(request),
    )
    return render(
        request, "adminbox/tasks.html", {"tab": "tasks", "page": page, "tasks": page.items}
    )


@never_cache
@login_required
@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    """Everything received, from every sender, in any state."""
    form = DocumentFilterForm(request.GET or None, statuses=[str(s) for s in DOCUMENT_STATUSES])
    status = search = ""
    if form.is_valid():
        status, search = form.cleaned_data["status"], form.cleaned_data["q"]
    page = adminbox_documents(
        person=_person(request),
        number=page_number(request.GET.get("page")),
        status=status,
        search=search,
        company_number=acting_company_number(request),
    )
    query = urlencode({k: v for k, v in (("status", status), ("q", search)) if v})
    return render(
        request,
        "adminbox/documents.html",
        {
            "tab": "documents",
            "page": page,
            "form": form,
            "query": query,
            "filtered": bool(status or search),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """How new documents are announced (ES-9) and the language; the mandate
    and merging parts are included from their owners."""
    person = _person(request)
    phone_ok = bool(person.phone and person.phone_verified_at)
    if request.method == "POST":
        form = NotificationForm(request.POST)
        if form.is_valid():
            try:
                person_notification_channel_set(
                    person=person,
                    channel=form.cleaned_data["notification_channel"],
                    context=Context.from_request(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your choice is saved."))
                return redirect("adminbox:preferences")
    else:
        form = NotificationForm(initial={"notification_channel": person.notification_channel})
    return render(
        request,
        "adminbox/preferences.html",
        {
            "tab": "preferences",
            "form": form,
            "person": person,
            "phone_ok": phone_ok,
            "phone_masked": phone_mask(person.phone) if person.phone else "",
            "sms": NotificationChannel.SMS,
        },
    )


# --- A contract ---------------------------------------------------------------


def contract_or_404(request: HttpRequest, public_id: Any) -> Contract:
    """One of the logged-in person's contracts (or of the company she acts
    for); any other is a 404, whether it exists or not."""
    try:
        return contract_get_for_person(
            person=_person(request),
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
    person = _person(request)
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
    count = rendering.page_count(
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
            "pages": range(1, count + 1),
            "page_count": count,
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
    person = _person(request)
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
    person = _person(request)
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
