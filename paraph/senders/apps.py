from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendersConfig(AppConfig):
    name = "paraph.senders"
    label = "senders"
    verbose_name = _("Senders")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.core.outbox import sweep_register
        from paraph.senders.events import EVENTS
        from paraph.senders.services import webhook_deliveries_sweep

        register_events(EVENTS)
        sweep_register("webhooks", webhook_deliveries_sweep)
