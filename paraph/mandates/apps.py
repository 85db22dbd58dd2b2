from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MandatesConfig(AppConfig):
    name = "paraph.mandates"
    label = "mandates"
    verbose_name = _("Mandates")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.mandates.events import EVENTS

        register_events(EVENTS)
