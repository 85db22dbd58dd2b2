from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "paraph.companies"
    label = "companies"
    verbose_name = _("Companies")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.companies.events import EVENTS

        register_events(EVENTS)
