"""The plan-confirmed signal: a confirmed plan gets its booking, and the agent runs after commit."""

from __future__ import annotations

from plans.dispatch import booking_dispatch_on_commit
from plans.models import Booking, Plan


def plan_saved(sender, instance: Plan, raw: bool, update_fields, **kwargs) -> None:
    # Only a status change saved as such (plans.services.plan_confirm) confirms a
    # plan; fixture loads (raw) and other saves of a confirmed plan do nothing.
    if raw or instance.status != Plan.Status.CONFIRMED or "status" not in (update_fields or ()):
        return
    booking, created = Booking.objects.get_or_create(plan=instance)
    if created:
        booking_dispatch_on_commit(booking.pk)
