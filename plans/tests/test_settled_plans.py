"""Confirmed and cancelled plans stay as they were agreed: no edits in the admin, no venue pulled away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plans.models import Booking, Plan, PlanParticipant
from plans.tests.factories import BookingFactory, PlanFactory
from users.tests.factories import UserFactory
from venues.models import Venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(handle="boss", is_staff=True, is_superuser=True))
    return client


# --- removing a venue ---------------------------------------------------------


@pytest.mark.parametrize("booking_status", [Booking.Status.BOOKED, Booking.Status.PENDING])
def test_a_venue_with_a_booked_plan_ahead_cannot_be_removed(client_for, staff, confirmed_plan, booking_status):
    BookingFactory(plan=confirmed_plan, status=booking_status)

    response = client_for(staff).delete(f"/venues/{confirmed_plan.venue_id}/")

    assert response.status_code == 409
    plan = Plan.objects.get(pk=confirmed_plan.pk)
    assert response.json() == {
        "detail": f"The venue cannot be removed while 1 plan ahead holds a booking there; cancel them first: {plan}."
    }
    assert Venue.objects.filter(pk=confirmed_plan.venue_id).exists()
    assert Plan.objects.get(pk=confirmed_plan.pk).venue_id == confirmed_plan.venue_id


def test_once_the_plan_is_cancelled_the_venue_can_go(client_for, staff, alice, booked_plan, provider):
    assert client_for(alice).post(f"/plans/{booked_plan.pk}/cancel/").status_code == 200
    assert client_for(staff).delete(f"/venues/{booked_plan.venue_id}/").status_code == 204
    assert Plan.objects.get(pk=booked_plan.pk).venue is None


@pytest.mark.parametrize("plan_state", ["pending", "failed-booking", "past"])
def test_a_venue_without_a_live_booking_can_go_and_its_plans_keep_existing(
    client_for, staff, agreed_plan, request, plan_state
):
    if plan_state != "pending":
        request.getfixturevalue("confirmed_plan")  # confirms agreed_plan
    if plan_state == "failed-booking":
        BookingFactory(plan=agreed_plan, status=Booking.Status.FAILED)
    if plan_state == "past":
        Plan.objects.filter(pk=agreed_plan.pk).update(start_time=timezone.now() - timedelta(days=1))
        BookingFactory(plan=agreed_plan, status=Booking.Status.BOOKED)
    assert client_for(staff).delete(f"/venues/{agreed_plan.venue_id}/").status_code == 204
    assert Plan.objects.get(pk=agreed_plan.pk).venue is None


def test_the_admin_refuses_to_delete_a_venue_with_a_booked_plan_ahead(admin_client, booked_plan):
    url = reverse("admin:venues_venue_delete", args=[booked_plan.venue_id])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "protected" in page.content.decode()

    admin_client.post(url, {"post": "yes"})
    assert Venue.objects.filter(pk=booked_plan.venue_id).exists()

    admin_client.post(
        reverse("admin:venues_venue_changelist"),
        {"action": "delete_selected", "_selected_action": [str(booked_plan.venue_id)], "post": "yes"},
    )
    assert Venue.objects.filter(pk=booked_plan.venue_id).exists()


# --- the admin's plan pages ---------------------------------------------------


def test_a_confirmed_plan_cannot_be_moved_in_the_admin(admin_client, booked_plan):
    url = reverse("admin:plans_plan_change", args=[booked_plan.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    assert {"organizer", "venue", "start_time"}.isdisjoint(form.fields)
    participants = page.context["inline_admin_formsets"][0]
    assert not participants.has_add_permission and not participants.has_change_permission

    later = booked_plan.start_time + timedelta(days=3)
    admin_client.post(
        url,
        {
            "organizer": str(booked_plan.organizer_id),
            "venue": str(booked_plan.venue_id),
            "start_time_0": later.strftime("%Y-%m-%d"),
            "start_time_1": later.strftime("%H:%M:%S"),
            "participants-TOTAL_FORMS": "0",
            "participants-INITIAL_FORMS": "0",
            "booking-TOTAL_FORMS": "0",
            "booking-INITIAL_FORMS": "0",
        },
    )
    assert Plan.objects.get(pk=booked_plan.pk).start_time == booked_plan.start_time


def test_a_pending_plan_can_still_move_to_another_venue_or_time_in_the_admin(admin_client, plan):
    # Its venue and time, as in the API (PATCH /plans/{id}/), not its organizer; the form's rules are in
    # test_admin.py and test_reschedule.py.
    form = admin_client.get(reverse("admin:plans_plan_change", args=[plan.pk])).context["adminform"].form
    assert {"venue", "start_time"} <= set(form.fields) and "organizer" not in form.fields


def test_participants_of_a_settled_plan_cannot_be_changed_or_added_in_the_admin(admin_client, booked_plan, bob):
    participant = PlanParticipant.objects.get(plan=booked_plan, user=bob)
    url = reverse("admin:plans_planparticipant_change", args=[participant.pk])
    admin_client.post(url, {"plan": str(booked_plan.pk), "user": str(bob.pk), "status": "declined"})
    assert PlanParticipant.objects.get(pk=participant.pk).status == PlanParticipant.Status.ACCEPTED

    newcomer = UserFactory(handle="newcomer")
    response = admin_client.post(
        reverse("admin:plans_planparticipant_add"),
        {"plan": str(booked_plan.pk), "user": str(newcomer.pk), "status": "invited"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "people join only pending plans" in response.content.decode()
    assert not PlanParticipant.objects.filter(user=newcomer).exists()


# --- how far ahead --------------------------------------------------------------


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59Z", "far"], ids=["year-9999", "past-the-horizon"])
def test_a_plan_cannot_start_beyond_the_horizon(client_for, alice, venue, settings, start):
    if start == "far":
        start = (timezone.now() + timedelta(days=settings.LUNA_PLAN_HORIZON_DAYS, hours=1)).isoformat()
    response = client_for(alice).post("/plans/", {"venue_id": str(venue.pk), "start_time": start}, format="json")
    assert response.status_code == 400
    assert response.json()["start_time"] == ["The start time must be within 730 days from now."]
    assert not Plan.objects.exists()


def test_a_plan_right_before_the_horizon_is_fine(client_for, alice, venue, settings):
    start = (timezone.now() + timedelta(days=settings.LUNA_PLAN_HORIZON_DAYS, minutes=-5)).isoformat()
    response = client_for(alice).post("/plans/", {"venue_id": str(venue.pk), "start_time": start}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "query",
    [
        "start_time__year=9999",
        "start_time__year=9999&start_time__month=12",
        "start_time__year=9999&start_time__month=12&start_time__day=31",
    ],
    ids=["year", "month", "day"],
)
def test_the_admins_date_drill_down_survives_the_last_year_there_is(admin_client, alice, venue, query):
    PlanFactory(organizer=alice, venue=venue, start_time=timezone.now().replace(year=9999, month=12, day=31))
    response = admin_client.get(reverse("admin:plans_plan_changelist") + "?" + query, follow=True)
    assert response.status_code == 200
