"""Who may do what with plans and bookings.

A plan is visible to its organizer, its participants (invited, accepted or
declined) and staff. Anyone else gets 403 for a plan that exists, 404 for one
that does not; lists only ever contain visible plans.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from plans.models import Booking, Plan
from plans.selectors import plan_is_visible


class CanViewPlan(BasePermission):
    message = "Only the organizer, the people invited and staff can see this plan."

    def has_object_permission(self, request, view, obj: Plan) -> bool:
        return plan_is_visible(plan=obj, user=request.user)


class IsPlanInvitee(BasePermission):
    message = "Only people invited to this plan can answer the invitation."

    def has_object_permission(self, request, view, obj: Plan) -> bool:
        if obj.organizer_id == request.user.pk:
            return False
        return obj.participants.filter(user=request.user).exists()


class CanViewBooking(BasePermission):
    message = "Only the plan's organizer, the people invited and staff can see this booking."

    def has_object_permission(self, request, view, obj: Booking) -> bool:
        return plan_is_visible(plan=obj.plan, user=request.user)
