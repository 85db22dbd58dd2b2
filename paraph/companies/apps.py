from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "paraph.companies"
    label = "companies"
    verbose_name = _("Companies")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.companies.events import EVENTS
        from paraph.companies.recipients import RegisteredCompanies
        from paraph.contracts.companies import company_directory_set

        register_events(EVENTS)
        # Contracts addressed to a company ask this app who acts for it (ADR 35).
        company_directory_set(RegisteredCompanies())
