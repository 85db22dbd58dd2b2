from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "paraph.scheduling"
    verbose_name = _("Scheduled jobs")

    def ready(self) -> None:
        from paraph.audit.registry import register_events

        register_events(
            {
                "scheduling.job.failed": _("A scheduled job failed"),
            }
        )
