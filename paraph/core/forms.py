"""Form pieces that public pages of several apps share."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class HoneypotForm(forms.Form):
    """A public form with a trap for robots: ``website`` is hidden from
    people (the template renders ``form.honeypot`` apart, in an
    ``aria-hidden`` block, and the other fields through
    ``visible_fields_for_people``) and filled in by robots. A view that finds
    it filled answers as if all went well and keeps nothing."""

    HONEYPOT = "website"

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    @property
    def visible_fields_for_people(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != self.HONEYPOT]

    @property
    def honeypot(self) -> forms.BoundField:
        return self[self.HONEYPOT]

    def honeypot_filled(self) -> bool:
        return bool(self.data.get(self.add_prefix(self.HONEYPOT), "").strip())
