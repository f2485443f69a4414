from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The admin index's dashboard (the whole world at a glance). It may import every app; none imports it."""

    name = "ops"
    verbose_name = "Operations"
