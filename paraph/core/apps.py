from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "paraph.core"
    label = "core"

    def ready(self) -> None:
        from paraph.core import admin_times, lookups  # noqa: F401  (registers ciexact)
        from paraph.core.checks import deprecated_settings_check, rq_key_prefix_check
        from paraph.core.requestid import connect_task_signals
        from paraph.core.roles import after_migrate

        checks.register(rq_key_prefix_check)
        checks.register(deprecated_settings_check)
        connect_task_signals()
        post_migrate.connect(after_migrate, dispatch_uid="paraph.core.roles")
        admin_times.install()
