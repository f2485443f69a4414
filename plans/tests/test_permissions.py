"""Who may call each endpoint: alice organizes, bob is invited, charlie is a stranger.

A plan someone cannot see answers 403 on every plan and booking endpoint
(it exists, it is not theirs); an unknown id answers 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plans.models import Booking, Plan, PlanParticipant
from plans.tests.factories import BookingFactory
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PEOPLE = ("alice", "bob", "charlie", "staff", "anonymous")


def _pending(plan, **_):
    return plan


def _confirmed_with_booking(plan, status=Booking.Status.BOOKED):
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.CONFIRMED)
    return BookingFactory(plan=plan, status=status, external_ref="rec-0" if status == "booked" else "", attempts=1)


def request_for(endpoint: str, plan, venue, bob):
    """(method, path, body) for the endpoint, with the plan put in the state the endpoint needs."""
    if endpoint == "list plans":
        return "get", "/plans/", None
    if endpoint == "create plan":
        start = (timezone.now() + timedelta(days=2)).isoformat()
        return "post", "/plans/", {"venue_id": str(venue.pk), "start_time": start}
    if endpoint == "read plan":
        return "get", f"/plans/{plan.pk}/", None
    if endpoint == "invite":
        dana = UserFactory(handle="dana")
        SocialEdgeFactory(user=dana, other_user=plan.organizer)  # dana may be invited by alice
        return "post", f"/plans/{plan.pk}/participants/", {"invitee_ids": [str(dana.pk)]}
    if endpoint == "respond":
        return "post", f"/plans/{plan.pk}/respond/", {"status": "accepted"}
    if endpoint == "confirm":
        plan.participants.filter(user=bob).update(status=PlanParticipant.Status.ACCEPTED)
        return "post", f"/plans/{plan.pk}/confirm/", None
    if endpoint == "cancel":
        return "post", f"/plans/{plan.pk}/cancel/", None
    if endpoint == "plan booking":
        _confirmed_with_booking(plan)
        return "get", f"/plans/{plan.pk}/booking/", None
    if endpoint == "list bookings":
        _confirmed_with_booking(plan)
        return "get", "/bookings/", None
    if endpoint == "read booking":
        booking = _confirmed_with_booking(plan)
        return "get", f"/bookings/{booking.pk}/", None
    if endpoint == "retry booking":
        booking = _confirmed_with_booking(plan, status=Booking.Status.FAILED)
        return "post", f"/bookings/{booking.pk}/retry/", None
    raise AssertionError(endpoint)


EXPECTED = {
    #                  alice bob  charlie staff anonymous
    "list plans": (200, 200, 200, 200, 401),
    "create plan": (201, 201, 201, 201, 401),
    "read plan": (200, 200, 403, 200, 401),
    "invite": (200, 403, 403, 200, 401),
    "respond": (403, 200, 403, 403, 401),
    "confirm": (200, 403, 403, 200, 401),
    "cancel": (200, 403, 403, 200, 401),
    "plan booking": (200, 200, 403, 200, 401),
    "list bookings": (200, 200, 200, 200, 401),
    "read booking": (200, 200, 403, 200, 401),
    "retry booking": (403, 403, 403, 200, 401),
}

CASES = [
    pytest.param(endpoint, who, code, id=f"{endpoint}-{who}")
    for endpoint, codes in EXPECTED.items()
    for who, code in zip(PEOPLE, codes, strict=True)
]


@pytest.mark.parametrize(("endpoint", "who", "expected"), CASES)
def test_permission_matrix(client_for, alice, bob, charlie, staff, plan, venue, provider, endpoint, who, expected):
    people = {"alice": alice, "bob": bob, "charlie": charlie, "staff": staff, "anonymous": None}
    method, path, body = request_for(endpoint, plan, venue, bob)
    before = (Plan.objects.count(), PlanParticipant.objects.count(), sorted(Plan.objects.values_list("status")))

    response = getattr(client_for(people[who]), method)(path, body)

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert "detail" in response.json()
        after = (Plan.objects.count(), PlanParticipant.objects.count(), sorted(Plan.objects.values_list("status")))
        assert after == before  # a refused request changes nothing
        assert provider.book_calls == 0


@pytest.mark.parametrize(("who", "sees_plan"), [("alice", True), ("bob", True), ("charlie", False), ("staff", True)])
def test_lists_contain_exactly_the_visible_plans_and_bookings(
    client_for, alice, bob, charlie, staff, plan, who, sees_plan
):
    booking = _confirmed_with_booking(plan)
    client = client_for({"alice": alice, "bob": bob, "charlie": charlie, "staff": staff}[who])

    plans = [item["id"] for item in client.get("/plans/").json()["results"]]
    bookings = [item["id"] for item in client.get("/bookings/").json()["results"]]

    assert plans == ([str(plan.pk)] if sees_plan else [])
    assert bookings == ([str(booking.pk)] if sees_plan else [])


def test_a_participant_who_declined_still_sees_the_plan(client_for, bob, plan):
    plan.participants.filter(user=bob).update(status=PlanParticipant.Status.DECLINED)
    assert client_for(bob).get(f"/plans/{plan.pk}/").status_code == 200
