from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminboxConfig(AppConfig):
    name = "paraph.adminbox"
    label = "adminbox"
    verbose_name = _("Adminbox")

    def ready(self) -> None:
        from paraph.adminbox.events import EVENTS
        from paraph.audit.registry import register_events

        register_events(EVENTS)
