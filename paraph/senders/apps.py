from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendersConfig(AppConfig):
    name = "paraph.senders"
    label = "senders"
    verbose_name = _("Senders")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.senders.events import EVENTS

        register_events(EVENTS)
