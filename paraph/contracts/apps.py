from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "paraph.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.contracts.events import EVENTS

        register_events(EVENTS)
