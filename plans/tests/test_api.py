"""The plan flow through the API, and the input it refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.models import Booking, Plan, PlanParticipant
from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory


def tomorrow() -> str:
    return (timezone.now() + timedelta(days=1)).isoformat()


def statuses(body: dict) -> dict[str, str]:
    return {participant["user"]["handle"]: participant["status"] for participant in body["participants"]}


@pytest.mark.django_db(transaction=True)
def test_alice_makes_a_plan_bob_accepts_and_the_confirmed_plan_is_booked(client_for, alice, bob, venue):
    SocialEdgeFactory(user=bob, other_user=alice)  # bob added alice, so she may invite him
    created = client_for(alice).post(
        "/plans/", {"venue_id": str(venue.pk), "start_time": tomorrow(), "invitee_ids": [str(bob.pk)]}
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "pending"
    assert body["organizer"]["handle"] == "alice"
    assert body["venue"]["name"] == "Blue Note"
    assert statuses(body) == {"alice": "accepted", "bob": "invited"}
    assert body["booking"] is None
    plan_id = body["id"]

    accepted = client_for(bob).post(f"/plans/{plan_id}/respond/", {"status": "accepted"})
    assert accepted.status_code == 200
    assert statuses(accepted.json()) == {"alice": "accepted", "bob": "accepted"}

    confirmed = client_for(alice).post(f"/plans/{plan_id}/confirm/")
    assert confirmed.status_code == 200, confirmed.json()
    confirmation = confirmed.json()
    assert confirmation["plan_id"] == plan_id
    assert confirmation["status"] == "confirmed"
    # The agent ran after the commit, before the response was written.
    assert confirmation["booking"]["status"] == "booked"
    assert confirmation["booking"]["provider"] == "mock"
    assert confirmation["booking"]["external_ref"].startswith("mock-")
    assert confirmation["booking_id"] == confirmation["booking"]["id"]

    booking = client_for(bob).get(f"/plans/{plan_id}/booking")
    assert booking.status_code == 200
    assert booking.json() == confirmation["booking"]
    assert client_for(bob).get(f"/bookings/{confirmation['booking_id']}/").json() == confirmation["booking"]
    plan = client_for(bob).get(f"/plans/{plan_id}").json()
    assert plan["status"] == "confirmed"
    assert plan["booking"] == confirmation["booking"]
    assert Booking.objects.filter(plan_id=plan_id, status="booked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_booked_plan_cancels_the_booking_with_the_provider(client_for, alice, agreed_plan, provider):
    booking_id = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/").json()["booking_id"]

    response = client_for(alice).post(f"/plans/{agreed_plan.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["booking"]["status"] == "cancelled"
    assert provider.cancelled == ["rec-1"]
    assert Booking.objects.get(pk=booking_id).status == Booking.Status.CANCELLED


def test_cancelling_a_pending_plan_needs_no_provider(client_for, alice, plan, provider):
    response = client_for(alice).post(f"/plans/{plan.pk}/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["booking"] is None
    assert provider.cancelled == []
    assert not Booking.objects.exists()


def test_cancelling_twice_changes_nothing_more(client_for, alice, plan):
    client_for(alice).post(f"/plans/{plan.pk}/cancel/")
    updated_at = Plan.objects.get(pk=plan.pk).updated_at

    again = client_for(alice).post(f"/plans/{plan.pk}/cancel/")

    assert again.status_code == 200
    assert again.json()["status"] == "cancelled"
    assert Plan.objects.get(pk=plan.pk).updated_at == updated_at


def test_staff_can_make_a_plan_for_someone_else(client_for, staff, alice, bob, venue):
    response = client_for(staff).post(
        "/plans/",
        {
            "venue_id": str(venue.pk),
            "start_time": tomorrow(),
            "organizer_id": str(alice.pk),
            "invitee_ids": [str(bob.pk)],
        },
    )
    assert response.status_code == 201
    assert response.json()["organizer"]["handle"] == "alice"
    assert statuses(response.json()) == {"alice": "accepted", "bob": "invited"}


def test_a_user_cannot_make_a_plan_in_someone_elses_name(client_for, alice, bob, venue):
    response = client_for(bob).post(
        "/plans/", {"venue_id": str(venue.pk), "start_time": tomorrow(), "organizer_id": str(alice.pk)}
    )
    assert response.status_code == 403
    assert not Plan.objects.exists()


def test_naming_yourself_as_organizer_is_fine(client_for, alice, venue):
    response = client_for(alice).post(
        "/plans/", {"venue_id": str(venue.pk), "start_time": tomorrow(), "organizer_id": str(alice.pk)}
    )
    assert response.status_code == 201
    assert statuses(response.json()) == {"alice": "accepted"}


def test_inviting_yourself_or_someone_twice_makes_one_participant_each(client_for, alice, bob, venue):
    SocialEdgeFactory(user=bob, other_user=alice)
    response = client_for(alice).post(
        "/plans/",
        {"venue_id": str(venue.pk), "start_time": tomorrow(), "invitee_ids": [str(bob.pk), str(bob.pk), str(alice.pk)]},
    )
    assert response.status_code == 201
    assert statuses(response.json()) == {"alice": "accepted", "bob": "invited"}
    assert PlanParticipant.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_time": "2020-01-01T19:00:00Z"}, "start_time"),
        ({"start_time": "2099-01-01T19:00:00"}, "start_time"),
        ({"start_time": "tomorrow evening"}, "start_time"),
        ({"start_time": "9999-12-31T23:00:00-14:00"}, "start_time"),
        ({"venue_id": "00000000-0000-0000-0000-000000000000"}, "venue_id"),
        ({"venue_id": "not-a-uuid"}, "venue_id"),
        ({"invitee_ids": ["00000000-0000-0000-0000-000000000000"]}, "invitee_ids"),
        ({"invitee_ids": "everyone"}, "invitee_ids"),
        ({"organizer_id": "00000000-0000-0000-0000-000000000000"}, "organizer_id"),
    ],
    ids=[
        "past",
        "no-zone",
        "not-a-date",
        "overflow",
        "unknown-venue",
        "bad-venue",
        "unknown-invitee",
        "not-a-list",
        "unknown-organizer",
    ],
)
def test_it_rejects_bad_plan_input_and_stores_nothing(client_for, staff, venue, change, field):
    data = {"venue_id": str(venue.pk), "start_time": tomorrow(), **change}
    response = client_for(staff).post("/plans/", data)
    assert response.status_code == 400
    assert field in response.json()
    assert not Plan.objects.exists()
    assert not PlanParticipant.objects.exists()


def test_it_rejects_a_plan_without_venue_or_time(client_for, alice):
    response = client_for(alice).post("/plans/", {})
    assert response.status_code == 400
    assert set(response.json()) == {"venue_id", "start_time"}


def test_inviting_more_people_leaves_existing_participants_as_they_are(client_for, alice, bob, agreed_plan):
    dana = UserFactory(handle="dana")
    SocialEdgeFactory(user=dana, other_user=alice)
    response = client_for(alice).post(
        f"/plans/{agreed_plan.pk}/participants/", {"invitee_ids": [str(bob.pk), str(dana.pk), str(alice.pk)]}
    )
    assert response.status_code == 200
    assert statuses(response.json()) == {"alice": "accepted", "bob": "accepted", "dana": "invited"}


def test_inviting_an_unknown_user_invites_nobody(client_for, alice, plan):
    dana = UserFactory(handle="dana")
    response = client_for(alice).post(
        f"/plans/{plan.pk}/participants/", {"invitee_ids": [str(dana.pk), "00000000-0000-0000-0000-000000000000"]}
    )
    assert response.status_code == 400
    assert "invitee_ids" in response.json()
    assert not plan.participants.filter(user=dana).exists()


def test_it_rejects_an_empty_invitation(client_for, alice, plan):
    response = client_for(alice).post(f"/plans/{plan.pk}/participants/", {"invitee_ids": []})
    assert response.status_code == 400


def test_bob_can_decline_and_change_his_mind(client_for, bob, plan):
    declined = client_for(bob).post(f"/plans/{plan.pk}/respond/", {"status": "declined"})
    assert statuses(declined.json())["bob"] == "declined"
    accepted = client_for(bob).post(f"/plans/{plan.pk}/respond/", {"status": "accepted"})
    assert statuses(accepted.json())["bob"] == "accepted"


def test_it_rejects_an_answer_that_is_not_accept_or_decline(client_for, bob, plan):
    response = client_for(bob).post(f"/plans/{plan.pk}/respond/", {"status": "invited"})
    assert response.status_code == 400
    assert plan.participants.get(user=bob).status == PlanParticipant.Status.INVITED


def test_the_list_shows_only_plans_the_caller_is_part_of(client_for, alice, bob, charlie, staff, plan):
    other = PlanFactory(organizer=charlie)
    assert [p["id"] for p in client_for(alice).get("/plans/").json()["results"]] == [str(plan.pk)]
    assert [p["id"] for p in client_for(bob).get("/plans/").json()["results"]] == [str(plan.pk)]
    assert [p["id"] for p in client_for(charlie).get("/plans/").json()["results"]] == [str(other.pk)]
    assert {p["id"] for p in client_for(staff).get("/plans/").json()["results"]} == {str(plan.pk), str(other.pk)}


def test_the_list_filters_by_status(client_for, alice, plan):
    cancelled = PlanFactory(organizer=alice, cancelled=True)
    assert [p["id"] for p in client_for(alice).get("/plans/?status=cancelled").json()["results"]] == [str(cancelled.pk)]
    assert [p["id"] for p in client_for(alice).get("/plans/?status=pending").json()["results"]] == [str(plan.pk)]
    assert client_for(alice).get("/plans/?status=sometime").status_code == 400


def test_the_list_takes_a_fixed_number_of_queries(client_for, alice, django_assert_max_num_queries):
    for _ in range(5):
        plan = PlanFactory(organizer=alice)
        PlanParticipantFactory.create_batch(3, plan=plan)
    with django_assert_max_num_queries(4):
        response = client_for(alice).get("/plans/")
    assert response.json()["count"] == 5


def test_the_booking_list_costs_the_same_for_one_plan_and_for_many(client_for, bob):
    def bookings_query_count(client) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/bookings/")
        assert response.status_code == 200
        return len(captured)

    def confirmed_plan_with_bob() -> None:
        plan = PlanFactory(confirmed=True)
        PlanParticipantFactory(plan=plan, user=bob, status=PlanParticipant.Status.ACCEPTED)
        PlanParticipantFactory.create_batch(2, plan=plan)
        BookingFactory(plan=plan, status=Booking.Status.BOOKED, external_ref="rec-0")

    client = client_for(bob)
    confirmed_plan_with_bob()
    one = bookings_query_count(client)
    for _ in range(6):
        confirmed_plan_with_bob()
    assert bookings_query_count(client) == one
    assert client.get("/bookings/").json()["count"] == 7


def test_a_plan_without_a_booking_has_no_booking_to_show(client_for, alice, plan):
    response = client_for(alice).get(f"/plans/{plan.pk}/booking/")
    assert response.status_code == 404


@pytest.mark.parametrize("plan_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "booking/"), ("post", "confirm/"), ("post", "cancel/"), ("post", "respond/")],
)
def test_an_unknown_or_malformed_plan_id_is_404(client_for, staff, plan_id, method, suffix):
    response = getattr(client_for(staff), method)(f"/plans/{plan_id}/{suffix}")
    assert response.status_code == 404


@pytest.mark.parametrize("booking_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_an_unknown_or_malformed_booking_id_is_404(client_for, staff, booking_id):
    assert client_for(staff).get(f"/bookings/{booking_id}/").status_code == 404
    assert client_for(staff).post(f"/bookings/{booking_id}/retry/").status_code == 404
