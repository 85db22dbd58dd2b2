"""IDnow's pages: the accepted documents (RG-12), the start form (RG-11,
RG-12), the return from IDnow, the status page, IDnow's webhook, and the
sandbox IDnow's page. Views parse, call a service or the provider, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from paraph.core.context import Context
from paraph.core.http import client_ip, rate_limited_response
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity import services
from paraph.identity.models import IdentityMethod, IdnowIdentification, RegistrationState
from paraph.identity.providers import (
    AsynchronousProvider,
    IdentityError,
    IdentityPending,
    get_asynchronous_provider,
)
from paraph.identity.providers.idnow.checks import (
    RETRY_HELPS,
    IdnowPayload,
)
from paraph.identity.providers.idnow.documents import DOCUMENT_TYPE_LABELS, accepted_documents
from paraph.identity.providers.idnow.provider import IdnowChoice, idnow_claims
from paraph.identity.providers.idnow.services import (
    idnow_outcome,
    idnow_refusal,
    idnow_webhook_receive,
)
from paraph.identity.providers.idnow.sessions import (
    idnow_identification_for_request,
)
from paraph.identity.selectors import registration_attempt_current
from paraph.identity.sessions import attempt_follow
from paraph.identity.views import FLOW_SESSION_KEY

STARTS_PER_IP = 10
STARTS_WINDOW_SECONDS = 3600


def _provider() -> AsynchronousProvider:
    return get_asynchronous_provider("idnow")


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


# --- The accepted documents (RG-10, RG-12) ----------------------------------------


@require_GET
def idnow_documents(request: HttpRequest) -> HttpResponse:
    """The public list of accepted documents per country, searchable by a
    country's name in any of the four languages (or its code)."""
    query = request.GET.get("q", "").strip()[:60]
    language = _language()
    countries = accepted_documents().search(query, language)
    rows = [
        {
            "code": country.code,
            "name": country.name(language),
            "documents": [DOCUMENT_TYPE_LABELS[d] for d in country.documents],
        }
        for country in countries
    ]
    return render(
        request,
        "identity/idnow_documents.html",
        {
            "query": query,
            "rows": rows,
            "updated": accepted_documents().updated,
            "total": len(accepted_documents().countries),
        },
    )


# --- Before starting (RG-11, RG-12) -------------------------------------------------


class IdnowStartForm(forms.Form):
    country = forms.ChoiceField(label=gettext_lazy("Country that issued your document"))
    document_type = forms.ChoiceField(
        label=gettext_lazy("Your document"),
        choices=list(DOCUMENT_TYPE_LABELS.items()),
        widget=forms.RadioSelect,
    )
    given_name = forms.CharField(
        label=gettext_lazy("Given names"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label=gettext_lazy("Surname"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    birth_date = forms.DateField(
        label=gettext_lazy("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = _language()
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", _("Choose a country"))] + [
            (c.code, c.name(language)) for c in accepted_documents().search("", language)
        ]
        self.fields["country"].error_messages["required"] = _("Choose your document's country.")
        self.fields["country"].error_messages["invalid_choice"] = _(
            "This country is not on the list of accepted documents."
        )
        self.fields["document_type"].error_messages["required"] = _("Choose your document.")
        self.fields["given_name"].help_text = _("As written on your document.")
        self.fields["given_name"].error_messages["required"] = _("Enter your given names.")
        self.fields["family_name"].error_messages["required"] = _("Enter your surname.")
        self.fields["birth_date"].error_messages["required"] = _("Enter your date of birth.")
        self.fields["birth_date"].error_messages["invalid"] = _("Enter a date, like 1991-04-18.")
        self.fields["email"].help_text = _(
            "We write to you here when the check of your identification is done."
        )
        self.fields["email"].error_messages["required"] = _("Enter your e-mail address.")

    def clean_birth_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if value > today or value.year < 1900:
            raise ValidationError(_("Enter your real date of birth."), code="range")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country, document_type = data.get("country"), data.get("document_type")
        if country and document_type and not accepted_documents().accepts(country, document_type):
            found = accepted_documents().country(country)
            accepted = ", ".join(
                str(DOCUMENT_TYPE_LABELS[d]).lower() for d in (found.documents if found else ())
            )
            self.add_error(
                "document_type",
                _("For this country we accept: %(documents)s.") % {"documents": accepted},
            )
        return data


def _registration_attempt(request: HttpRequest) -> Any:
    attempt = registration_attempt_current(request)
    if (
        attempt is None
        or attempt.method != IdentityMethod.IDNOW
        or attempt.state != RegistrationState.IDENTIFYING
    ):
        return None
    return attempt


@never_cache
@require_http_methods(["GET", "POST"])
def idnow_start(request: HttpRequest) -> HttpResponse:
    """Pick country and document from the accepted list, learn that a
    webcam or camera is needed, then go to IDnow (or the sandbox)."""
    attempt = _registration_attempt(request)
    if attempt is None:
        messages.info(request, _("Choose IDnow on this page to start your identification."))
        return redirect("identity:register")
    provider = _provider()
    initial: dict[str, Any] = {}
    if provider.sandbox:
        from paraph.identity.providers.idnow.sandbox import DEMO_IDENTITY

        initial = dict(DEMO_IDENTITY)
    if request.GET.get("country"):
        initial["country"] = request.GET["country"].upper()[:2]
    form = IdnowStartForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        limit = ratelimit_hit(
            scope="identity.idnow.start.ip",
            key=client_ip(request) or "unknown",
            limit=STARTS_PER_IP,
            window_seconds=STARTS_WINDOW_SECONDS,
        )
        if not limit.allowed:
            return rate_limited_response(request, limit.retry_after)
        data = form.cleaned_data
        choice = IdnowChoice(
            country=data["country"],
            document_type=data["document_type"],
            given_name=data["given_name"].strip(),
            family_name=data["family_name"].strip(),
            birth_date=data["birth_date"],
            email=data["email"],
            language=_language(),
        )
        try:
            return provider.begin(request, choice=choice, attempt=attempt)
        except IdentityError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "identity/idnow_start.html",
        {"form": form, "sandbox_provider": provider.sandbox},
    )


# --- Back from IDnow: the result ----------------------------------------------------


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "identity/error.html",
        {
            "message": _(
                "We cannot find an IDnow identification started in this browser. Open this "
                "page in the browser where you started, or start again."
            ),
            "retry_url": reverse("identity:register"),
        },
        status=404,
    )


@never_cache
@require_GET
def idnow_return(request: HttpRequest) -> HttpResponse:
    """Where IDnow sends the person back: fetch the result if the webhook
    has not brought it yet, then show the status."""
    identification = idnow_identification_for_request(request)
    if identification is None:
        return _not_found(request)
    provider = _provider()
    if provider.sandbox == identification.sandbox:
        provider.refresh(identification)
    return redirect("identity:idnow_status")


def _status_context(identification: IdnowIdentification) -> dict[str, Any]:
    outcome = idnow_outcome(identification)
    context: dict[str, Any] = {"identification": identification, "outcome": outcome}
    if outcome in ("refused", "failed"):
        code, message = idnow_refusal(identification)
        context.update(refusal_code=code, refusal_message=message, retry_helps=code in RETRY_HELPS)
    return context


@never_cache
@require_GET
def idnow_status(request: HttpRequest) -> HttpResponse:
    """Waiting for IDnow, being checked (the page checks again by itself,
    more and more slowly), or the decision and the next step."""
    identification = idnow_identification_for_request(request)
    if identification is None:
        return _not_found(request)
    context = _status_context(identification)
    context["sandbox_decide"] = (
        settings.SANDBOX and identification.sandbox and context["outcome"] == "pending"
    )
    return render(request, "identity/idnow_status.html", context)


@never_cache
@require_GET
def idnow_status_json(request: HttpRequest) -> JsonResponse:
    """The status page's script asks here: ``{"outcome": ...}``."""
    identification = idnow_identification_for_request(request)
    if identification is None:
        return JsonResponse({"outcome": "unknown"}, status=404)
    return JsonResponse({"outcome": idnow_outcome(identification)})


@never_cache
@require_POST
def idnow_continue(request: HttpRequest) -> HttpResponse:
    """After a success: on to the registration. In the browser session that
    started it, through ``identity:complete`` like every provider; in a
    new session (the person came back after the review), the provider's
    claims resume the registration the identification belongs to."""
    identification = idnow_identification_for_request(request)
    if identification is None:
        return _not_found(request)
    flow = request.session.get(FLOW_SESSION_KEY)
    if isinstance(flow, dict) and flow.get("method") == IdentityMethod.IDNOW:
        return redirect("identity:complete", "idnow")
    try:
        claims = idnow_claims(identification)
    except IdentityError as exc:
        return render(
            request,
            "identity/error.html",
            {"message": exc.message, "retry_url": reverse("identity:register")},
            status=400,
        )
    except IdentityPending:
        return redirect("identity:idnow_status")
    attempt = identification.registration_attempt
    if attempt is not None and attempt.state != RegistrationState.IDENTIFYING:
        attempt = None
    step = services.registration_claims_received(
        claims=claims,
        context=Context.from_request(request),
        attempt=attempt,
        session_attempt=registration_attempt_current(request),
    )
    attempt_follow(request, step)
    if step.outcome == services.RegistrationOutcome.REFUSED:
        return render(
            request,
            "identity/error.html",
            {
                "message": _(
                    "This identity cannot be used to register. Please call the contact centre."
                ),
                "retry_url": reverse("identity:register"),
            },
            status=400,
        )
    return redirect(services.registration_next_url(step))


# --- IDnow's webhook ------------------------------------------------------------------


@csrf_exempt
@require_POST
def idnow_webhook(request: HttpRequest) -> JsonResponse:
    """IDnow posts each result here, authenticated with HTTP Basic (the
    password is ``PARAPH_IDNOW_WEBHOOK_SECRET``)."""
    answer = idnow_webhook_receive(
        body=request.body,
        authorization=request.headers.get("Authorization", ""),
        context=Context.from_request(request),
    )
    response = JsonResponse({"detail": answer.detail}, status=answer.status)
    if answer.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="paraph-idnow"'
    return response


# --- The sandbox IDnow ------------------------------------------------------------------


def _sandbox_identification(request: HttpRequest) -> IdnowIdentification:
    if not settings.SANDBOX:
        raise Http404
    identification = idnow_identification_for_request(request)
    if identification is None or not identification.sandbox:
        raise Http404
    return identification


@never_cache
@require_http_methods(["GET", "POST"])
def idnow_sandbox(request: HttpRequest) -> HttpResponse:
    """ "Sandbox — no real IDnow": choose how the identification ends."""
    from paraph.identity.providers.idnow import sandbox

    identification = _sandbox_identification(request)
    choice = request.session.get(sandbox.SESSION_CHOICE_KEY)
    if not isinstance(choice, dict):
        messages.info(request, _("The sandbox identification has ended. Please start again."))
        return redirect("identity:register")
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in sandbox.OUTCOMES or identification.status != "STARTED":
            return redirect("identity:idnow_status")
        for result in sandbox.OUTCOMES[outcome]:
            payload = sandbox.sandbox_payload(
                identification, choice, result=result, expired=outcome == "expired"
            )
            sandbox.sandbox_post(request, identification, payload)
        return redirect("identity:idnow_return")
    preview = sandbox.sandbox_payload(identification, choice, result="SUCCESS")
    country = accepted_documents().country(choice["country"])
    return render(
        request,
        "identity/idnow_sandbox.html",
        {
            "identification": identification,
            "choice": choice,
            "birth_date": dt.date.fromisoformat(choice["birth_date"]),
            "document_label": DOCUMENT_TYPE_LABELS.get(choice["document_type"], ""),
            "country_name": country.name(_language()) if country else choice["country"],
            "mrz": preview["identificationdocument"]["mrz"]["value"],
        },
    )


@never_cache
@require_POST
def idnow_sandbox_decide(request: HttpRequest) -> HttpResponse:
    """The sandbox reviewer's decision on a pending identification."""
    from paraph.identity.providers.idnow import sandbox

    identification = _sandbox_identification(request)
    result = sandbox.DECISIONS.get(request.POST.get("decision", ""))
    if result is not None and idnow_outcome(identification) == "pending":
        previous = IdnowPayload.parse(identification.result)
        choice = {
            "country": identification.country,
            "document_type": identification.document_type,
            "given_name": previous.firstname,
            "family_name": previous.lastname,
            "birth_date": previous.birthday,
            "email": previous.email,
        }
        sandbox.sandbox_post(
            request, identification, sandbox.sandbox_payload(identification, choice, result=result)
        )
    return redirect("identity:idnow_status")
