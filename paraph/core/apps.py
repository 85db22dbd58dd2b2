from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "paraph.core"
    label = "core"
