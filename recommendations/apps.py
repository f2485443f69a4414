from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from experiments.models import model_versions_from
        from recommendations import (
            prefork,  # noqa: F401 - renews in a forked process what its parent's threads held
            receivers,  # noqa: F401 - marks the catalogue when a venue is deleted
        )
        from recommendations.models import RankerVersion

        # An experiment's arm may pin only a version stored here.
        model_versions_from(lambda version: RankerVersion.objects.filter(version=version).exists())
