"""Forms of the sender back office and of the "interested?" page (ES-14)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from paraph.accounts.models import Language
from paraph.contracts.services import FieldError
from paraph.core.forms import HoneypotForm
from paraph.senders.models import ApiScope, WebhookEvent

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _pdf_size_check(upload: UploadedFile | None, *, required: bool = True) -> UploadedFile | None:
    if upload is None:
        if required:
            raise ValidationError(gettext("Choose the contract's PDF."), code="required")
        return None
    limit = settings.SIGNING_MAX_PDF_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            gettext("The file is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"size": upload.size / 1048576, "limit": limit / 1048576},
            code="too_large",
        )
    return upload


class ServiceErrorsMixin:
    """Puts a service's field errors (``recipient.phone``...) next to the
    form field that holds the value."""

    FIELD_MAP: dict[str, str] = {}

    def add_service_errors(self, errors: list[FieldError]) -> None:
        form: Any = self
        for error in errors:
            name = self.FIELD_MAP.get(error.field, error.field)
            form.add_error(name if name in form.fields else None, error.message)


class ContractForm(ServiceErrorsMixin, forms.Form):
    FIELD_MAP = {
        "recipient.first_name": "first_name",
        "recipient.last_name": "last_name",
        "recipient.email": "email",
        "recipient.phone": "phone",
        "recipient.national_number": "national_number",
        "recipient.language": "language",
        "recipient": "enterprise_number",
        "company.enterprise_number": "enterprise_number",
        "company.email": "email",
        "signing_deadline": "signing_deadline",
        "signature": "signature_page",
        "signature.page": "signature_page",
        "signature.box": "signature_page",
    }

    title = forms.CharField(label=_("Title of the contract"), max_length=200)
    # Names and phone are checked by the service: a company has none.
    first_name = forms.CharField(
        label=_("Recipient's first name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label=_("Recipient's last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Recipient's e-mail address"),
        max_length=254,
        help_text=_("The contract is sent to this address (it must be the person's own)."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Recipient's mobile phone"),
        max_length=32,
        required=False,
        help_text=_("For example 0470 12 34 56 or +32 470 12 34 56."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    national_number = forms.CharField(
        label=_("National register number (optional)"),
        required=False,
        max_length=20,
        help_text=_("If you know it: only this person can then sign with their eID card."),
    )
    enterprise_number = forms.CharField(
        label=_("Or a company: its enterprise number"),
        required=False,
        max_length=20,
        help_text=_(
            "To send the contract to a company (e.g. BE 0123.456.749): leave the name, "
            "phone and national number empty. It goes to the company's adminbox, where its "
            "digital representative or a user it allows signs for it; the e-mail address "
            "above is told."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of the e-mails (for a person new to Paraph)"),
        choices=Language.choices,
        initial=settings.LANGUAGE_CODE,
    )
    external_reference = forms.CharField(
        label=_("Your reference (optional)"), required=False, max_length=100
    )
    start_of_work = forms.DateTimeField(
        label=_("Start of work (Brussels time)"),
        widget=DATETIME_INPUT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    signing_deadline = forms.DateTimeField(
        label=_("Signing deadline (optional, Brussels time)"),
        required=False,
        help_text=_("By default the start of work: the law requires the contract signed before."),
        widget=DATETIME_INPUT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    signature_page = forms.IntegerField(
        label=_("Page of the signature (optional)"),
        required=False,
        min_value=1,
        help_text=_("By default the last page, at the bottom."),
    )
    pdf = forms.FileField(
        label=_("The contract (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_pdf(self) -> UploadedFile | None:
        return _pdf_size_check(self.cleaned_data.get("pdf"))


class ReofferForm(ServiceErrorsMixin, forms.Form):
    FIELD_MAP = {"signature": "pdf", "signature.box": "pdf", "signing_deadline": "signing_deadline"}

    pdf = forms.FileField(
        label=_("The new version (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    title = forms.CharField(label=_("New title (optional)"), required=False, max_length=200)
    start_of_work = forms.DateTimeField(
        label=_("New start of work (optional, Brussels time)"),
        required=False,
        widget=DATETIME_INPUT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    signing_deadline = forms.DateTimeField(
        label=_("New signing deadline (optional, Brussels time)"),
        required=False,
        widget=DATETIME_INPUT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_pdf(self) -> UploadedFile | None:
        return _pdf_size_check(self.cleaned_data.get("pdf"))


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you revoke it? (kept with the contract's history)"),
        error_messages={"required": _("Say why you revoke this contract.")},
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the key"),
        max_length=100,
        help_text=_("Which system uses it, e.g. 'HR system production'."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the key may do"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.CONTRACTS_READ, ApiScope.CONTRACTS_WRITE],
    )


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("Address (URL) of your endpoint"),
        max_length=500,
        help_text=_("An https:// address that accepts POST requests."),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(WebhookEvent.values),
    )
    description = forms.CharField(label=_("Description (optional)"), required=False, max_length=200)


class BulkForm(forms.Form):
    csv_file = forms.FileField(
        label=_("The list of recipients (CSV)"),
        help_text=_(
            "One line per contract, with the columns first_name, last_name, email, phone, "
            "start_of_work and pdf (the file's name in the zip); optional: title, "
            "national_number, language, external_reference, signing_deadline, signature_page."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    zip_file = forms.FileField(
        label=_("The contracts (a zip of PDFs)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    title = forms.CharField(
        label=_("Title of every contract (unless the CSV has a title column)"),
        required=False,
        max_length=200,
    )


class SalesContactForm(HoneypotForm):
    """ES-14: an organisation interested in sending contracts through Paraph
    (with the public forms' honeypot)."""

    organisation = forms.CharField(label=_("Organisation"), max_length=150)
    enterprise_number = forms.CharField(
        label=_("Enterprise number (optional)"), required=False, max_length=20
    )
    name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We answer at this address."),
        error_messages={"invalid": _("Enter an e-mail address like name@example.be.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Your phone (optional)"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    volume = forms.ChoiceField(
        label=_("Contracts a month, roughly"),
        required=False,
        choices=[
            ("", _("I do not know yet")),
            ("<100", _("fewer than 100")),
            ("100-1000", _("100 to 1,000")),
            ("1000-10000", _("1,000 to 10,000")),
            (">10000", _("more than 10,000")),
        ],
    )
    message = forms.CharField(
        label=_("Your question or project"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def clean_enterprise_number(self) -> str:
        from paraph.core.belgium import enterprise_number_normalize

        value = self.cleaned_data.get("enterprise_number", "")
        if not value:
            return ""
        return enterprise_number_normalize(value)
