from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "paraph.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.contracts.documents import contract_stored_documents
        from paraph.contracts.events import EVENTS
        from paraph.contracts.services import batches_sweep
        from paraph.core.outbox import sweep_register
        from paraph.core.storage import stored_documents_register

        register_events(EVENTS)
        sweep_register("batches", batches_sweep)
        stored_documents_register("contracts", contract_stored_documents)
