from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "paraph.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from paraph.audit.registry import register_events
        from paraph.notifications.events import EVENTS

        register_events(EVENTS)
