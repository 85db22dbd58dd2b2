from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "paraph.signing"
    label = "signing"
    verbose_name = _("Signatures")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.signing.events import EVENTS

        register_events(EVENTS)
