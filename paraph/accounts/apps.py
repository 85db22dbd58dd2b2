from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "paraph.accounts"
    label = "accounts"
    verbose_name = _("People and log-in")

    def ready(self) -> None:
        from django.contrib import admin

        from paraph.accounts.backoffice import install
        from paraph.accounts.events import EVENTS
        from paraph.audit.registry import register_events

        register_events(EVENTS)
        # The back office asks for a password and an SMS code (two factors).
        install(admin.site)
