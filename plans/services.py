"""Everything that changes plans and bookings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from luna.errors import Conflict
from plans.agent import booking_reopen, release_stale_claims, stale_claim_age
from plans.dispatch import booking_dispatch, booking_dispatch_on_commit
from plans.models import Booking, Plan, PlanParticipant
from plans.selectors import plan_queryset
from users.models import User
from venues.models import Venue


def _reload(plan_id: uuid.UUID) -> Plan:
    return plan_queryset().get(pk=plan_id)


def plan_create(
    *,
    organizer: User,
    venue: Venue,
    start_time: datetime,
    invitees: Iterable[User] = (),
) -> Plan:
    """A pending plan: the organizer has accepted, the invitees are invited."""
    now = timezone.now()
    if start_time <= now:
        raise ValidationError({"start_time": ["The start time must be in the future."]})
    horizon = settings.LUNA_PLAN_HORIZON_DAYS
    if start_time > now + timedelta(days=horizon):
        raise ValidationError({"start_time": [f"The start time must be within {horizon} days from now."]})
    invitees = [user for user in invitees if user.pk != organizer.pk]

    with transaction.atomic():
        plan = Plan(organizer=organizer, venue=venue, start_time=start_time)
        plan.full_clean()
        plan.save()
        PlanParticipant.objects.bulk_create(
            [PlanParticipant(plan=plan, user=organizer, status=PlanParticipant.Status.ACCEPTED)]
            + [PlanParticipant(plan=plan, user=user, status=PlanParticipant.Status.INVITED) for user in invitees]
        )
    return _reload(plan.pk)


def _lock(plan: Plan) -> Plan:
    # Every change to a plan goes through its locked row, so two requests for the
    # same plan take turns (PostgreSQL; SQLite already has one writer at a time).
    return Plan.objects.select_for_update().get(pk=plan.pk)


def _require_pending(plan: Plan, action: str) -> None:
    if plan.status != Plan.Status.PENDING:
        raise Conflict(f"The plan is {plan.status}; {action} only while it is pending.", code=f"plan_{plan.status}")


def plan_invite(*, plan: Plan, users: Iterable[User]) -> Plan:
    """Invite more people; anyone already part of the plan is left as they are."""
    with transaction.atomic():
        plan = _lock(plan)
        _require_pending(plan, "people can be invited")
        present = set(plan.participants.values_list("user_id", flat=True))
        PlanParticipant.objects.bulk_create(
            [PlanParticipant(plan=plan, user=user) for user in users if user.pk not in present]
        )
    return _reload(plan.pk)


def plan_respond(*, plan: Plan, user: User, status: str) -> Plan:
    """An invited person accepts or declines, for themselves."""
    if status not in (PlanParticipant.Status.ACCEPTED, PlanParticipant.Status.DECLINED):
        raise ValidationError({"status": ["Answer 'accepted' or 'declined'."]})
    with transaction.atomic():
        plan = _lock(plan)
        participant = plan.participants.filter(user=user).first()
        if participant is None or user.pk == plan.organizer_id:
            raise PermissionDenied("Only people invited to this plan can answer the invitation.")
        _require_pending(plan, "invitations can be answered")
        participant.status = status
        participant.full_clean()
        participant.save(update_fields=["status", "updated_at"])
    return _reload(plan.pk)


def plan_confirm(*, plan: Plan) -> Booking:
    """Confirm the plan; its booking is made by the agent once this commits.

    Confirming a confirmed plan changes nothing and returns its booking.
    """
    with transaction.atomic():
        plan = _lock(plan)
        if plan.status == Plan.Status.CANCELLED:
            raise Conflict("The plan is cancelled and can no longer be confirmed.", code="plan_cancelled")
        if plan.status == Plan.Status.PENDING:
            if plan.start_time <= timezone.now():
                raise Conflict("The plan's start time has passed.", code="plan_started")
            if plan.venue_id is None:
                raise Conflict("The plan's venue is no longer listed.", code="plan_without_venue")
            # An acceptance from an account closed since then brings nobody to the table.
            accepted = plan.participants.filter(status=PlanParticipant.Status.ACCEPTED, user__is_active=True)
            if not accepted.exclude(user_id=plan.organizer_id).exists():
                raise Conflict("Nobody besides the organizer has accepted yet.", code="plan_not_accepted")
        if plan.status == Plan.Status.PENDING or not Booking.objects.filter(plan=plan).exists():
            # The post_save receiver (plans.signals) creates the booking and
            # dispatches the agent after commit; a confirmed plan without a
            # booking (loaded from a fixture) gets one the same way.
            plan.status = Plan.Status.CONFIRMED
            plan.save(update_fields=["status", "updated_at"])
    return Booking.objects.select_related("plan").get(plan_id=plan.pk)


def plan_cancel(*, plan: Plan) -> Plan:
    """Cancel the plan; the agent cancels its booking (with the provider if it was booked)."""
    with transaction.atomic():
        plan = _lock(plan)
        if plan.status != Plan.Status.CANCELLED:
            plan.status = Plan.Status.CANCELLED
            plan.save(update_fields=["status", "updated_at"])
        booking = Booking.objects.filter(plan=plan).exclude(status=Booking.Status.CANCELLED).first()
        if booking is not None:
            booking_dispatch_on_commit(booking.pk)
    return _reload(plan.pk)


def booking_retry(*, booking: Booking) -> Booking:
    """Book a failed booking again."""
    with transaction.atomic():
        plan = _lock(booking.plan)
        if plan.status != Plan.Status.CONFIRMED:
            raise Conflict(f"The plan is {plan.status}; only a confirmed plan's booking is retried.")
        if plan.start_time <= timezone.now():
            raise Conflict("The plan's start time has passed; its booking is no longer retried.", code="plan_started")
        if plan.venue_id is None:
            raise Conflict(
                "The plan's venue is no longer listed; its booking is no longer retried.", code="plan_without_venue"
            )
        # Another retry may have moved the booking on since it was read, so this can fail.
        if not booking_reopen(booking.pk):
            current = Booking.objects.get(pk=booking.pk).status
            raise Conflict(f"Only a failed booking can be retried; this one is {current}.", code="booking_not_failed")
        booking_dispatch_on_commit(booking.pk)
    return Booking.objects.select_related("plan").get(pk=booking.pk)


@dataclass
class RetryReport:
    released_claims: int = 0
    retried: list[Booking] = field(default_factory=list)
    resumed: list[Booking] = field(default_factory=list)
    over_limit: int = 0


def bookings_retry_due(*, max_attempts: int) -> RetryReport:
    """Catch up on every booking that needs the agent and is not being worked on.

    Frees claims whose runner died, retries failed bookings below `max_attempts`,
    resumes pending bookings whose dispatch was lost, and finishes cancellations.
    """
    released = release_stale_claims()
    report = RetryReport(released_claims=len(released))
    failed = Booking.objects.select_related("plan").filter(
        status=Booking.Status.FAILED,
        plan__status=Plan.Status.CONFIRMED,
        plan__start_time__gt=timezone.now(),
        plan__venue__isnull=False,
        claimed_at__isnull=True,
    )
    report.over_limit = failed.filter(attempts__gte=max_attempts).count()
    for booking in failed.filter(attempts__lt=max_attempts).order_by("updated_at"):
        try:
            report.retried.append(booking_retry(booking=booking))
        except Conflict:
            continue  # retried or cancelled by someone else meanwhile

    # Recent pending bookings are left alone: their dispatch may still be on its way.
    cutoff = timezone.now() - stale_claim_age()
    lost = Booking.objects.filter(
        Q(updated_at__lt=cutoff) | Q(pk__in=released),
        status=Booking.Status.PENDING,
        plan__status=Plan.Status.CONFIRMED,
        claimed_at__isnull=True,
    )
    unfinished_cancellations = Booking.objects.filter(
        plan__status=Plan.Status.CANCELLED, claimed_at__isnull=True
    ).exclude(status=Booking.Status.CANCELLED)
    for booking_id in [*lost.values_list("pk", flat=True), *unfinished_cancellations.values_list("pk", flat=True)]:
        booking_dispatch(booking_id)
        report.resumed.append(Booking.objects.select_related("plan").get(pk=booking_id))
    return report
