from django.utils.translation import gettext_lazy as _

EVENTS = {
    "identity.registration.started": _("A registration started"),
}
