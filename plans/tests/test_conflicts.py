"""Every 409 says which conflict it is, and leaves everything as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plans.models import STARTED, WITHOUT_VENUE, Booking, Plan, PlanParticipant
from plans.tests.factories import BookingFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def snapshot(plan: Plan) -> tuple:
    plan = Plan.objects.get(pk=plan.pk)
    participants = sorted(plan.participants.values_list("user__handle", "status", "updated_at"))
    bookings = list(Booking.objects.values_list("id", "status", "attempts", "updated_at"))
    return plan.status, plan.updated_at, participants, bookings


# --- the plan states, each a step on the plan a fixture gave ---------------------


def cancelled(plan: Plan) -> None:
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.CANCELLED)


def started(ago: timedelta):
    def start(plan: Plan) -> None:
        Plan.objects.filter(pk=plan.pk).update(start_time=timezone.now() - ago)

    return start


def bob_answered(answer: str):
    def answer_for_bob(plan: Plan) -> None:
        plan.participants.filter(user__handle="bob").update(status=answer)

    return answer_for_bob


def bobs_account_closed(plan: Plan) -> None:
    bob = User.objects.get(handle="bob")
    bob.is_active = False
    bob.save(update_fields=["is_active"])


def venue_removed(plan: Plan) -> None:
    plan.venue.delete()


def failed_booking(plan: Plan) -> None:
    BookingFactory(plan=plan, status=Booking.Status.FAILED, attempts=1)


# --- the requests: (who, path, body) ---------------------------------------------


def alice_confirms(plan: Plan) -> tuple:
    return "alice", f"/plans/{plan.pk}/confirm/", None


def alice_invites_dana(plan: Plan) -> tuple:
    dana = UserFactory(handle="dana")
    return "alice", f"/plans/{plan.pk}/participants/", {"invitee_ids": [str(dana.pk)]}


def bob_accepts(plan: Plan) -> tuple:
    return "bob", f"/plans/{plan.pk}/respond/", {"status": "accepted"}


def staff_retries(plan: Plan) -> tuple:
    return "staff", f"/bookings/{Booking.objects.get(plan=plan).pk}/retry/", None


CONFLICTS = [
    # (the plan fixture, the steps that put it in its state, the request, the detail of the 409)
    pytest.param(
        "agreed_plan",
        [cancelled],
        alice_confirms,
        "The plan is cancelled and can no longer be confirmed.",
        id="confirming-a-cancelled-plan",
    ),
    pytest.param(
        "agreed_plan",
        [started(timedelta(minutes=1))],
        alice_confirms,
        f"{STARTED.reason}.",
        id="confirming-a-plan-whose-start-has-passed",
    ),
    *(
        pytest.param(
            "plan",
            [bob_answered(answer)],
            alice_confirms,
            "Nobody besides the organizer has accepted yet.",
            id=f"confirming-before-anyone-but-the-organizer-accepted-{answer}",
        )
        for answer in (PlanParticipant.Status.INVITED, PlanParticipant.Status.DECLINED)
    ),
    pytest.param(
        "agreed_plan",
        [bobs_account_closed],
        alice_confirms,
        "Nobody besides the organizer has accepted yet.",
        id="confirming-when-the-only-acceptance-came-from-a-closed-account",
    ),
    pytest.param(
        "agreed_plan",
        [venue_removed],
        alice_confirms,
        f"{WITHOUT_VENUE.reason}.",
        id="confirming-a-plan-whose-venue-was-removed",
    ),
    pytest.param(
        "confirmed_plan",
        [],
        alice_invites_dana,
        "The plan is confirmed; people can be invited only while it is pending.",
        id="inviting-people-to-a-confirmed-plan",
    ),
    pytest.param(
        "plan",
        [cancelled],
        bob_accepts,
        "The plan is cancelled; invitations can be answered only while it is pending.",
        id="answering-an-invitation-to-a-cancelled-plan",
    ),
    pytest.param(
        "booked_plan",
        [],
        staff_retries,
        "Only a failed booking can be retried; this one is booked.",
        id="retrying-a-booked-booking",
    ),
    pytest.param(
        "agreed_plan",
        [cancelled, failed_booking],
        staff_retries,
        "The plan is cancelled; only a confirmed plan's booking is retried.",
        id="retrying-the-booking-of-a-cancelled-plan",
    ),
    pytest.param(
        "confirmed_plan",
        [started(timedelta(hours=1)), failed_booking],
        staff_retries,
        f"{STARTED.reason}; its booking is no longer retried.",
        id="retrying-the-booking-of-a-plan-that-has-started",
    ),
    pytest.param(
        "confirmed_plan",
        [failed_booking, venue_removed],
        staff_retries,
        f"{WITHOUT_VENUE.reason}; its booking is no longer retried.",
        id="retrying-the-booking-of-a-plan-whose-venue-was-removed",
    ),
]


@pytest.mark.parametrize(("plan_fixture", "steps", "make_request", "detail"), CONFLICTS)
def test_a_conflict_is_a_409_that_says_which_and_changes_nothing(
    request, client_for, provider, plan_fixture, steps, make_request, detail
):
    plan = request.getfixturevalue(plan_fixture)
    for step in steps:
        step(plan)
    who, path, body = make_request(plan)
    before = snapshot(plan)

    response = client_for(request.getfixturevalue(who)).post(path, body)

    assert response.status_code == 409
    assert response.json() == {"detail": detail}
    assert snapshot(plan) == before
    assert provider.book_calls == 0


def test_confirming_twice_returns_the_same_booking(
    client_for, alice, staff, agreed_plan, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")
        by_staff = client_for(staff).post(f"/plans/{agreed_plan.pk}/confirm/")

    assert first.status_code == second.status_code == by_staff.status_code == 200
    assert second.json() == by_staff.json()
    assert second.json()["booking_id"] == first.json()["booking_id"]
    assert second.json()["booking"]["status"] == "booked"
    assert callbacks == []
    assert Booking.objects.count() == 1
    assert provider.book_calls == 1
