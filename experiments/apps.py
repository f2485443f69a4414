from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        from experiments import (
            impressions,  # noqa: F401 - connects the flush after each request
            receivers,  # noqa: F401 - attributes interactions and plans to recommendations
        )
