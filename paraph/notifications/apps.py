from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "paraph.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.core.outbox import sweep_register
        from paraph.notifications.events import EVENTS
        from paraph.notifications.services import messages_sweep

        register_events(EVENTS)
        sweep_register("messages", messages_sweep)
