from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "paraph.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from paraph.api.services import idempotency_keys_sweep, idempotency_note_resource
        from paraph.core.outbox import resource_created, sweep_register

        resource_created.connect(idempotency_note_resource, dispatch_uid="api.idempotency")
        sweep_register("idempotency_keys", idempotency_keys_sweep)
