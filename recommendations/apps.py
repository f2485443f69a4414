from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from recommendations import (
            impressions,  # noqa: F401 - connects the flush after each request
            prefork,  # noqa: F401 - renews in a forked process what its parent's threads held
            receivers,  # noqa: F401 - attributes interactions and plans to recommendations
        )
