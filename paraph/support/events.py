from django.utils.translation import gettext_lazy as _

EVENTS = {
    "support.ticket.created": _("A support ticket was created"),
}
