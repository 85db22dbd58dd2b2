from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MandatesConfig(AppConfig):
    name = "paraph.mandates"
    label = "mandates"
    verbose_name = _("Mandates")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.core.storage import stored_documents_register
        from paraph.mandates.events import EVENTS
        from paraph.mandates.selectors import mandate_stored_documents

        register_events(EVENTS)
        stored_documents_register("mandates", mandate_stored_documents)
