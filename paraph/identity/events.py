from django.utils.translation import gettext_lazy as _

EVENTS: dict[str, object] = {
    "identity.registration.started": _("A registration started"),
}
