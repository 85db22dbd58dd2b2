from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyForm(forms.Form):
    """One PDF to check. Size and format are checked by the view (before
    and after reading), so each refusal has its own precise message."""

    document = forms.FileField(
        label=_("Signed PDF document"),
        help_text=_("The document is checked and then forgotten: it is not stored."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={
            "required": _("Choose the PDF document to check."),
            "empty": _("The file is empty (0 bytes): choose the signed PDF document."),
            "invalid": _("No file was received: choose the PDF document again."),
        },
    )
