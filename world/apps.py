from django.apps import AppConfig


class WorldConfig(AppConfig):
    """The data of a whole Luna world: the demo, synthetic worlds at scale, CSV and check-in imports,
    and the admin's Data page that loads them.

    It may import the domain apps and evaluation (the check-in reader); only ops imports it.
    """

    name = "world"
    verbose_name = "World data"

    def ready(self) -> None:
        from django.contrib import admin

        from world.admin_data import urls

        # The Data page at /admin/data/: the admin site is told about it, since no URLconf imports world.
        admin.site.register_page_urls(urls())
