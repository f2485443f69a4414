from django.apps import AppConfig
from django.db.models.signals import post_save


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Plans and bookings"

    def ready(self) -> None:
        from plans import checks  # noqa: F401  (registers the provider check)
        from plans.models import Plan
        from plans.signals import plan_saved

        post_save.connect(plan_saved, sender=Plan, dispatch_uid="plans.plan_saved")
