from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "paraph.identity"
    label = "identity"
    verbose_name = _("Identity and registration")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.identity.events import EVENTS

        register_events(EVENTS)
