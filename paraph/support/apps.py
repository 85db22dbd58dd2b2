from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "paraph.support"
    label = "support"
    verbose_name = _("Support")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.support.events import EVENTS

        register_events(EVENTS)
