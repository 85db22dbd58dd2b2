from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Health checks, metrics and the operator's commands: the top floor, it
    reads every app's tables and nothing imports it."""

    name = "paraph.operations"
    label = "operations"

    def ready(self) -> None:
        from django.core import checks

        from paraph.operations.deploy_checks import key_files_check, services_check

        # Only with --deploy (`paraph check --deploy`): they open files and
        # reach other systems, which a start-up must not wait for.
        checks.register(key_files_check, "paraph", deploy=True)
        checks.register(services_check, "paraph", deploy=True)
