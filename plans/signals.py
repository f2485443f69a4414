"""The plan-confirmed signal: the one receiver with business meaning in Luna.

A plan saved as confirmed (`update_fields` naming `status`, as plans.services.plan_confirm
saves it) opens its booking with plans.services.booking_open; fixture loads (`raw`) and
other saves do nothing.
"""

from __future__ import annotations

from plans.models import Plan
from plans.services import booking_open


def plan_saved(sender, instance: Plan, raw: bool, update_fields, **kwargs) -> None:
    if not raw and instance.status == Plan.Status.CONFIRMED and "status" in (update_fields or ()):
        booking_open(plan=instance)
