from django.utils.translation import gettext_lazy as _

EVENTS = {
    "notifications.message.failed": _("A message could not be delivered"),
    "notifications.message.requeued": _("A staff member requeued an outgoing message"),
}
