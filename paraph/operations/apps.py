from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Health checks, metrics and the operator's commands: the top floor, it
    reads every app's tables and nothing imports it."""

    name = "paraph.operations"
    label = "operations"
