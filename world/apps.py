from django.apps import AppConfig


class WorldConfig(AppConfig):
    """The data of a whole Luna world: the demo, synthetic worlds at scale, CSV and check-in imports.

    It may import every domain app; no domain app imports it.
    """

    name = "world"
    verbose_name = "World data"
