from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from paraph.core.forms import HoneypotForm
from paraph.support.models import Ticket, Topic

CONTACT_TOPICS = [(t.value, t.label) for t in Topic if t != Topic.SALES]


class ContactForm(HoneypotForm):
    """The public contact form (SU-1), with the honeypot ``website``."""

    topic = forms.ChoiceField(
        label=_("What is your question about?"),
        choices=[("", _("Choose a topic")), *CONTACT_TOPICS],
        error_messages={"required": _("Choose what your question is about.")},
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=Ticket.NAME_MAX,
        error_messages={
            "required": _("Enter your name."),
            "max_length": _("Your name can be at most %(limit_value)d characters long."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We answer at this address."),
        error_messages={
            "required": _("Enter your e-mail address, so we can answer you."),
            "invalid": _("Enter an e-mail address like name@example.be."),
            "max_length": _("An e-mail address can be at most %(limit_value)d characters long."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    reference = forms.CharField(
        label=_("Client or contract reference (optional)"),
        required=False,
        max_length=Ticket.REFERENCE_MAX,
        help_text=_("As printed on your documents, if you have one."),
        error_messages={
            "max_length": _("A reference can be at most %(limit_value)d characters long."),
        },
    )
    message = forms.CharField(
        label=_("Your message"),
        max_length=Ticket.MESSAGE_MAX,
        help_text=format_lazy(_("At most {limit} characters."), limit=Ticket.MESSAGE_MAX),
        error_messages={
            "required": _("Write your message."),
            "max_length": _(
                "Your message can be at most %(limit_value)d characters long "
                "(it has %(show_value)d)."
            ),
        },
        widget=forms.Textarea(attrs={"rows": 8}),
    )
