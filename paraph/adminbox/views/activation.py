"""Activating an adminbox (ES-4): the phone number, then the code sent to
it, in the browser that followed the e-mail's link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from paraph.accounts.feedback import tell_expired_code, tell_resend_cooldown, tell_wrong_code
from paraph.accounts.forms import CodeForm
from paraph.accounts.models import CodePurpose, Person
from paraph.accounts.services import ResendOutcome
from paraph.accounts.sessions import session_open
from paraph.accounts.views import locked_response
from paraph.adminbox.forms import (
    ActivationPhoneForm,
)
from paraph.adminbox.merge_views import MERGE_ADDRESS_KEY
from paraph.adminbox.services import (
    ActivationOutcome,
    adminbox_activate,
    adminbox_activation_code_resend,
    adminbox_activation_code_send,
)
from paraph.adminbox.views.common import (
    ACTIVATION_KEY,
    link_refused,
)
from paraph.contracts.models import AccessLink, LinkPurpose
from paraph.contracts.selectors import adminbox_is_active
from paraph.core.belgium import phone_mask, phone_normalize
from paraph.core.context import Context
from paraph.core.http import rate_limited_response
from paraph.identity.views import code_page


def activation_start(request: HttpRequest, link: AccessLink) -> HttpResponse:
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
        return link_refused(request, "active", purpose="activate")
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
        return link_refused(request, "active", purpose="activate")
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
        return link_refused(request, "used", purpose="activate")
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
