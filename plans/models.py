from __future__ import annotations

import uuid
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.deletion import SET_NULL, ProtectedError
from django.utils import timezone
from django.utils.text import Truncator


class BookingBlocker(NamedTuple):
    """Why a plan cannot be booked now; callers say what that means for them after `reason`."""

    code: str
    reason: str


STARTED = BookingBlocker("plan_started", "The plan's start time has passed")
WITHOUT_VENUE = BookingBlocker("plan_without_venue", "The plan's venue is no longer listed")


class PlanQuerySet(models.QuerySet):
    def bookable(self) -> PlanQuerySet:
        """Plans that could be booked now: Plan.booking_blocker() is None for each."""
        return self.filter(start_time__gt=timezone.now(), venue__isnull=False)

    def holding_a_booking(self) -> PlanQuerySet:
        """Confirmed plans still ahead whose booking is made or being made at the provider."""
        return self.bookable().filter(
            status=Plan.Status.CONFIRMED, booking__status__in=[Booking.Status.PENDING, Booking.Status.BOOKED]
        )


def keep_booked_plans(collector, field, sub_objs, using) -> None:
    """on_delete for a plan's venue: refuse while a plan ahead holds a booking there, else set it to null.

    Deleting the venue would leave a confirmed plan with no venue and its reservation
    standing at the provider; staff cancel such plans first (which cancels the booking).

    The venue's plans are locked before they are checked, the lock plan_confirm and
    booking_retry take: a confirmation in flight finishes first and is seen here (refused),
    or waits and then finds the plan without a venue (refused there).
    """
    with transaction.atomic(using=using):
        # Locked in one statement, read in the next: the lock waits for a confirmation, and only a
        # later statement sees what it committed (PostgreSQL, read committed).
        held = list(sub_objs.select_for_update().order_by("pk").values_list("pk", flat=True))
        plans = Plan.objects.using(using).filter(pk__in=held)
        blocking = list(plans.holding_a_booking())
    if blocking:
        raise ProtectedError(
            f"{len(blocking)} confirmed plan(s) ahead hold a booking at this venue; cancel them first.", blocking
        )
    SET_NULL(collector, field, plans, using)


class PlanStatus(models.TextChoices):
    """Plan.Status: named here so that the check constraint is built from its values."""

    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class Plan(models.Model):
    Status = PlanStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organizer = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="organized_plans")
    # A venue may be removed from the catalogue after plans were made for it (unless a plan
    # ahead holds a booking there); such a plan can no longer be confirmed.
    venue = models.ForeignKey("venues.Venue", on_delete=keep_booked_plans, null=True, blank=True, related_name="plans")
    start_time = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["start_time", "id"]
        indexes = [models.Index(fields=["status", "start_time"], name="plan_status_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="plan_status_valid"),
        ]

    def __str__(self) -> str:
        # Short enough for a list's column, a page title and a message: the time is on the plan's page.
        venue = Truncator(self.venue.name).chars(24).replace(" …", "…") if self.venue_id else "no venue"
        return f"{self.organizer} at {venue}, {self.start_time:%Y-%m-%d}"

    def booking_blocker(self) -> BookingBlocker | None:
        """Why this plan cannot be booked now (its start has passed, its venue is gone), or None.

        The one statement of the rule: confirming, retrying and the agent all ask it, and
        PlanQuerySet.bookable() is the same rule in SQL.
        """
        if self.start_time <= timezone.now():
            return STARTED
        if self.venue_id is None:
            return WITHOUT_VENUE
        return None


class ParticipantStatus(models.TextChoices):
    """PlanParticipant.Status: named here so that the check constraint is built from its values."""

    INVITED = "invited", "Invited"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class PlanParticipant(models.Model):
    Status = ParticipantStatus

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="plan_participations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "user"], name="plan_participant_unique"),
            models.CheckConstraint(
                condition=Q(status__in=ParticipantStatus.values), name="plan_participant_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"

    def clean(self) -> None:
        # The admin's participant form: nobody joins a plan that is already confirmed or cancelled.
        if self._state.adding and self.plan_id is not None and self.plan.status != Plan.Status.PENDING:
            raise ValidationError({"plan": f"The plan is {self.plan.status}; people join only pending plans."})


class BookingStatus(models.TextChoices):
    """Booking.Status: named here so that the check constraint is built from its values."""

    PENDING = "pending", "Pending"
    BOOKED = "booked", "Booked"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Booking(models.Model):
    Status = BookingStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="booking")
    provider = models.CharField(max_length=200, blank=True, default="")
    external_ref = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # Set while one agent run holds the booking; see plans.agent.
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The id breaks ties so limit/offset pages never repeat or skip a booking.
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["status"], name="booking_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="booking_status_valid"),
        ]

    def __str__(self) -> str:
        # "Booking mock-23de4f5a… (booked)": the whole reference is on the booking's page.
        return f"Booking {Truncator(self.external_ref or str(self.id)).chars(14)} ({self.status})"
