"""Everything that changes plans and bookings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from luna.errors import Conflict
from plans.agent import booking_reopen, release_stale_claims, stale_claim_age
from plans.dispatch import booking_dispatch, booking_dispatch_on_commit, booking_left_by_inline_run
from plans.events import plan_created
from plans.models import Booking, Plan, PlanParticipant
from plans.selectors import plan_queryset
from social.selectors import users_with_edge_to
from users.models import User
from venues.models import Venue


def _reload(plan_id: uuid.UUID) -> Plan:
    return plan_queryset().get(pk=plan_id)


def plan_start_time_check(*, start_time: datetime, now: datetime | None = None) -> None:
    """A plan starts in the future, within LUNA_PLAN_HORIZON_DAYS (plan_create, plan_reschedule, the admin's form)."""
    now = now or timezone.now()
    if start_time <= now:
        raise ValidationError({"start_time": ["The start time must be in the future."]})
    horizon = settings.LUNA_PLAN_HORIZON_DAYS
    if start_time > now + timedelta(days=horizon):
        raise ValidationError({"start_time": [f"The start time must be within {horizon} days from now."]})


def plan_create(
    *,
    organizer: User,
    venue: Venue,
    start_time: datetime,
    invitees: Iterable[User] = (),
    invited_by: User | None = None,
    recommendation_id: uuid.UUID | None = None,
) -> Plan:
    """A pending plan: the organizer has accepted, the invitees are invited. The listeners of
    `plan_created` hear of it (recommendations attributes it to the answer that suggested the venue;
    `recommendation_id` names that answer when the client knows).

    `invited_by` (default: the organizer) must be allowed to invite every invitee: see invitations_check.
    """
    now = timezone.now()
    plan_start_time_check(start_time=start_time, now=now)
    invitees = [user for user in invitees if user.pk != organizer.pk]
    invitations_check(invited_by=invited_by or organizer, invitees=invitees, already=0, field="invitee_ids")

    with transaction.atomic():
        plan = Plan(organizer=organizer, venue=venue, start_time=start_time)
        plan.full_clean()
        plan.save()
        PlanParticipant.objects.bulk_create(
            [PlanParticipant(plan=plan, user=organizer, status=PlanParticipant.Status.ACCEPTED)]
            + [PlanParticipant(plan=plan, user=user, status=PlanParticipant.Status.INVITED) for user in invitees]
        )
        plan_created.send(sender=Plan, plan=plan, recommendation_id=recommendation_id)
    return _reload(plan.pk)


def _lock(plan: Plan, **annotations) -> Plan:
    # Every change to a plan goes through its locked row, so two requests for the
    # same plan take turns (PostgreSQL; SQLite already has one writer at a time).
    return Plan.objects.select_for_update().annotate(**annotations).get(pk=plan.pk)


def _require_pending(plan: Plan, action: str) -> None:
    if plan.status != Plan.Status.PENDING:
        raise Conflict(f"The plan is {plan.status}; {action} only while it is pending.", code=f"plan_{plan.status}")


def invitees_within_cap(*, count: int, field: str | None = None) -> None:
    """Refuse a plan that would invite more than LUNA_PLAN_MAX_INVITEES people besides its organizer
    (whoever invites, staff too: a group's suggestions cost time per member)."""
    cap = settings.LUNA_PLAN_MAX_INVITEES
    if count > cap:
        message = f"A plan invites at most {cap} people besides its organizer; this would make it {count}."
        raise ValidationError({field: [message]} if field else message, code="too_many_invitees")


def invitations_check(*, invited_by: User, invitees: list[User], already: int, field: str) -> None:
    """May `invited_by` add `invitees` to a plan that already invites `already` people besides its organizer?

    The cap holds for everyone. Staff may invite anyone; a member only people who have an edge to
    them (who added them): being invited shares a plan, and a plan's suggestions use its members' data.
    """
    invitees_within_cap(count=already + len(invitees), field=field)
    if invited_by.is_staff or not invitees:
        return
    consenting = users_with_edge_to(user_id=invited_by.pk, among=[user.pk for user in invitees])
    refused = [str(user.pk) for user in invitees if user.pk not in consenting]
    if refused:
        raise PermissionDenied(
            "You can invite only people who have added you (a social edge from them to you); "
            f"these have not: {', '.join(refused)}."
        )


def plan_invite(*, plan: Plan, users: Iterable[User], invited_by: User) -> Plan:
    """Invite more people; anyone already part of the plan is left as they are. `invited_by` must be
    allowed to invite each newcomer (invitations_check)."""
    with transaction.atomic():
        plan = _lock(plan)
        _require_pending(plan, "people can be invited")
        present = set(plan.participants.values_list("user_id", flat=True))
        newcomers = [user for user in users if user.pk not in present and user.pk != plan.organizer_id]
        # Counted under the plan's lock: two invitations at once cannot both fill the last place.
        already = len(present - {plan.organizer_id})
        invitations_check(invited_by=invited_by, invitees=newcomers, already=already, field="invitee_ids")
        PlanParticipant.objects.bulk_create([PlanParticipant(plan=plan, user=user) for user in newcomers])
    return _reload(plan.pk)


def _ask_again(plan: Plan) -> None:
    """Everyone but the organizer answered another question (another place or time): back to invited."""
    PlanParticipant.objects.filter(plan=plan).exclude(user_id=plan.organizer_id).exclude(
        status=PlanParticipant.Status.INVITED
    ).update(status=PlanParticipant.Status.INVITED, updated_at=timezone.now())


def plan_switch_venue(*, plan: Plan, venue: Venue) -> Plan:
    """Move a pending plan to another venue. Everyone but the organizer agreed to the old place, so
    their answers go back to invited; the same venue again changes nothing."""
    with transaction.atomic():
        plan = _lock(plan)
        _require_pending(plan, "its venue can be changed")
        if plan.venue_id != venue.pk:
            plan.venue = venue
            plan.save(update_fields=["venue", "updated_at"])
            _ask_again(plan)
    return _reload(plan.pk)


def plan_reschedule(*, plan: Plan, start_time: datetime) -> Plan:
    """Move a pending plan to another time, with the rules of a new plan's (plan_start_time_check).
    A new time is a new question for the group, as a new venue is: everyone but the organizer goes
    back to invited. The same time again changes nothing."""
    plan_start_time_check(start_time=start_time)
    with transaction.atomic():
        plan = _lock(plan)
        _require_pending(plan, "its start time can be changed")
        if plan.start_time != start_time:
            plan.start_time = start_time
            plan.save(update_fields=["start_time", "updated_at"])
            _ask_again(plan)
    return _reload(plan.pk)


def plan_update(*, plan: Plan, venue: Venue | None = None, start_time: datetime | None = None) -> Plan:
    """Change a pending plan's venue, start time or both at once (all or nothing)."""
    with transaction.atomic():
        if start_time is not None:
            plan = plan_reschedule(plan=plan, start_time=start_time)
        if venue is not None:
            plan = plan_switch_venue(plan=plan, venue=venue)
    return plan


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


def booking_open(*, plan: Plan) -> None:
    """Give the confirmed plan its booking, pending, when it has none, and hand it to the agent after commit.

    Called under the plan's row lock (by the plan-confirmed receiver, plans.signals), so two
    confirmations cannot both create one. A plan read with a `has_booking` annotation (as
    plan_confirm locks it) needs no query to tell whether it has one.
    """
    has_booking = getattr(plan, "has_booking", None)
    if has_booking is None:
        has_booking = Booking.objects.filter(plan=plan).exists()
    if not has_booking:
        booking = Booking.objects.create(plan=plan)
        plan.has_booking = True
        # What plan_confirm read under the lock lets the agent, when it runs inline, start without reading.
        booking.party_size = getattr(plan, "party_size", None)
        booking_dispatch_on_commit(booking.pk, known=booking if booking.party_size is not None else None)


def plan_confirm(*, plan: Plan) -> Booking:
    """Confirm the plan; its booking is made by the agent once this commits.

    Confirming a confirmed plan changes nothing and returns its booking.
    """
    with transaction.atomic():
        plan = Plan.objects.select_for_update(of=("self",)).select_related("venue").get(pk=plan.pk)
        # Read after the lock, in a statement of its own: a subquery inside the locking statement
        # would see the data from before a transaction we waited for (PostgreSQL, read committed).
        state = _plan_state(plan)
        plan.has_booking, plan.party_size = state["has_booking"], state["party_size"]
        if plan.status == Plan.Status.CANCELLED:
            raise Conflict("The plan is cancelled and can no longer be confirmed.", code="plan_cancelled")
        if plan.status == Plan.Status.PENDING:
            blocker = plan.booking_blocker()
            if blocker is not None:
                raise Conflict(f"{blocker.reason}.", code=blocker.code)
            if not state["others_accepted"]:
                raise Conflict("Nobody besides the organizer has accepted yet.", code="plan_not_accepted")
            plan.status = Plan.Status.CONFIRMED
            # The plan-confirmed receiver (plans.signals) opens the booking.
            plan.save(update_fields=["status", "updated_at"])
        elif not plan.has_booking:
            booking_open(plan=plan)  # a confirmed plan loaded without its booking gets one too
    # With the agent inline it has run by now (after the commit); otherwise the booking is as opened.
    return booking_left_by_inline_run(plan.pk) or Booking.objects.select_related("plan").get(plan_id=plan.pk)


def _plan_state(plan: Plan) -> dict:
    """In one query: whether the plan has a booking, its party (active accepted participants) and
    whether anyone besides the organizer is in it (an account closed since accepting brings nobody)."""
    party = PlanParticipant.objects.filter(
        plan=OuterRef("pk"), status=PlanParticipant.Status.ACCEPTED, user__is_active=True
    )
    count = party.order_by().values("plan").annotate(size=Count("*")).values("size")
    return (
        Plan.objects.filter(pk=plan.pk)
        .annotate(
            has_booking=Exists(Booking.objects.filter(plan=OuterRef("pk"))),
            party_size=Coalesce(Subquery(count), 0),
            others_accepted=Exists(party.exclude(user_id=OuterRef("organizer_id"))),
        )
        .values("has_booking", "party_size", "others_accepted")
        .get()
    )


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
        blocker = plan.booking_blocker()
        if blocker is not None:
            raise Conflict(f"{blocker.reason}; its booking is no longer retried.", code=blocker.code)
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
        plan__in=Plan.objects.bookable().filter(status=Plan.Status.CONFIRMED),
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
