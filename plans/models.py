from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class Plan(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organizer = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="organized_plans")
    # A venue may be removed from the catalogue after plans were made for it;
    # such a plan can no longer be confirmed.
    venue = models.ForeignKey("venues.Venue", on_delete=models.SET_NULL, null=True, blank=True, related_name="plans")
    start_time = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_time", "id"]
        indexes = [models.Index(fields=["status", "start_time"], name="plan_status_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "cancelled"]), name="plan_status_valid"
            ),
        ]

    def __str__(self) -> str:
        venue = self.venue.name if self.venue_id else "no venue"
        return f"{self.organizer} at {venue}, {self.start_time:%Y-%m-%d %H:%M}"


class PlanParticipant(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

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
                condition=Q(status__in=["invited", "accepted", "declined"]), name="plan_participant_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        BOOKED = "booked", "Booked"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

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
            models.CheckConstraint(
                condition=Q(status__in=["pending", "booked", "failed", "cancelled"]), name="booking_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Booking {self.external_ref or self.id} ({self.status})"
