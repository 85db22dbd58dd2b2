from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "paraph.core"
    label = "core"

    def ready(self) -> None:
        from paraph.core.checks import rq_key_prefix_check
        from paraph.core.requestid import connect_task_signals

        checks.register(rq_key_prefix_check)
        connect_task_signals()
