"""Reads of plans and bookings that several callers share."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from plans.models import Booking, Plan, PlanParticipant
from users.models import User


def plan_queryset() -> QuerySet[Plan]:
    """Plans with everything the API shows about them, in a fixed number of queries."""
    return Plan.objects.select_related("organizer", "venue", "booking").prefetch_related(
        Prefetch("participants", queryset=PlanParticipant.objects.select_related("user").order_by("id"))
    )


def _visible_to(user: User) -> Q:
    """Plans the user organizes or takes part in (invited, accepted or declined)."""
    return Q(organizer=user) | Q(id__in=PlanParticipant.objects.filter(user=user).values("plan_id"))


def plan_list_visible(*, user: User) -> QuerySet[Plan]:
    """Plans the user organizes or is a participant of; staff see every plan."""
    plans = plan_queryset()
    return plans if user.is_staff else plans.filter(_visible_to(user))


def plan_is_visible(*, plan: Plan, user: User) -> bool:
    if user.is_staff or plan.organizer_id == user.pk:
        return True
    return PlanParticipant.objects.filter(plan=plan, user=user).exists()


def booking_list_visible(*, user: User) -> QuerySet[Booking]:
    """Bookings of the plans the user can see; staff see every booking."""
    bookings = Booking.objects.all()
    if user.is_staff:
        return bookings
    return bookings.filter(plan__in=Plan.objects.filter(_visible_to(user)).values("id"))


def plan_booking(*, plan: Plan) -> Booking | None:
    """The plan's booking, None until the plan has been confirmed."""
    return Booking.objects.filter(plan=plan).first()
