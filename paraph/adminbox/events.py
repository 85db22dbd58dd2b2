from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EVENTS: dict[str, Promise | str] = {
    "adminbox.activation.code_sent": _("A code to activate an adminbox was sent by SMS"),
    "adminbox.activation.activated": _(
        "An adminbox was activated: e-mail address and mobile phone proven"
    ),
    "adminbox.activation.phone_of_another_adminbox": _(
        "An adminbox was not activated: its phone number, proven by a code, is another "
        "adminbox's (the person is pointed to merging them)"
    ),
    "adminbox.preferences.channel_changed": _(
        "A person chose how new documents are announced to them"
    ),
}
