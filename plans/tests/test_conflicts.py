"""Every 409 says which conflict it is, and leaves everything as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plans.models import Booking, Plan, PlanParticipant
from plans.tests.factories import BookingFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def snapshot(plan: Plan) -> tuple:
    plan = Plan.objects.get(pk=plan.pk)
    participants = sorted(plan.participants.values_list("user__handle", "status", "updated_at"))
    bookings = list(Booking.objects.values_list("id", "status", "attempts", "updated_at"))
    return plan.status, plan.updated_at, participants, bookings


def test_confirming_a_cancelled_plan_is_a_conflict(client_for, alice, agreed_plan, provider):
    Plan.objects.filter(pk=agreed_plan.pk).update(status=Plan.Status.CANCELLED)
    before = snapshot(agreed_plan)

    response = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")

    assert response.status_code == 409
    assert response.json() == {"detail": "The plan is cancelled and can no longer be confirmed."}
    assert snapshot(agreed_plan) == before
    assert provider.book_calls == 0


def test_confirming_a_plan_whose_start_has_passed_is_a_conflict(client_for, alice, agreed_plan, provider):
    Plan.objects.filter(pk=agreed_plan.pk).update(start_time=timezone.now() - timedelta(minutes=1))
    before = snapshot(agreed_plan)

    response = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")

    assert response.status_code == 409
    assert response.json() == {"detail": "The plan's start time has passed."}
    assert snapshot(agreed_plan) == before
    assert provider.book_calls == 0


@pytest.mark.parametrize("bobs_answer", [PlanParticipant.Status.INVITED, PlanParticipant.Status.DECLINED])
def test_confirming_before_anyone_but_the_organizer_accepted_is_a_conflict(
    client_for, alice, bob, plan, provider, bobs_answer
):
    plan.participants.filter(user=bob).update(status=bobs_answer)
    before = snapshot(plan)

    response = client_for(alice).post(f"/plans/{plan.pk}/confirm/")

    assert response.status_code == 409
    assert response.json() == {"detail": "Nobody besides the organizer has accepted yet."}
    assert snapshot(plan) == before
    assert provider.book_calls == 0


def test_confirming_a_plan_whose_venue_was_removed_is_a_conflict(client_for, alice, agreed_plan, venue, provider):
    venue.delete()
    before = snapshot(agreed_plan)

    response = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")

    assert response.status_code == 409
    assert response.json() == {"detail": "The plan's venue is no longer listed."}
    assert snapshot(agreed_plan) == before


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


def test_inviting_people_to_a_confirmed_plan_is_a_conflict(client_for, alice, agreed_plan):
    Plan.objects.filter(pk=agreed_plan.pk).update(status=Plan.Status.CONFIRMED)
    dana = UserFactory(handle="dana")
    before = snapshot(agreed_plan)

    response = client_for(alice).post(f"/plans/{agreed_plan.pk}/participants/", {"user_ids": [str(dana.pk)]})

    assert response.status_code == 409
    assert response.json() == {"detail": "The plan is confirmed; people can be invited only while it is pending."}
    assert snapshot(agreed_plan) == before


def test_answering_an_invitation_to_a_cancelled_plan_is_a_conflict(client_for, bob, plan):
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.CANCELLED)
    before = snapshot(plan)

    response = client_for(bob).post(f"/plans/{plan.pk}/respond/", {"status": "accepted"})

    assert response.status_code == 409
    assert response.json() == {"detail": "The plan is cancelled; invitations can be answered only while it is pending."}
    assert snapshot(plan) == before


def test_retrying_a_booked_booking_is_a_conflict(client_for, staff, agreed_plan, provider):
    Plan.objects.filter(pk=agreed_plan.pk).update(status=Plan.Status.CONFIRMED)
    BookingFactory(plan=agreed_plan, status=Booking.Status.BOOKED, external_ref="rec-0", attempts=1)
    before = snapshot(agreed_plan)

    response = client_for(staff).post(f"/bookings/{agreed_plan.booking.pk}/retry/")

    assert response.status_code == 409
    assert response.json() == {"detail": "Only a failed booking can be retried; this one is booked."}
    assert snapshot(agreed_plan) == before
    assert provider.book_calls == 0


def test_retrying_the_booking_of_a_cancelled_plan_is_a_conflict(client_for, staff, agreed_plan, provider):
    Plan.objects.filter(pk=agreed_plan.pk).update(status=Plan.Status.CANCELLED)
    booking = BookingFactory(plan=agreed_plan, status=Booking.Status.FAILED, attempts=1)
    before = snapshot(agreed_plan)

    response = client_for(staff).post(f"/bookings/{booking.pk}/retry/")

    assert response.status_code == 409
    assert response.json() == {"detail": "The plan is cancelled; only a confirmed plan's booking is retried."}
    assert snapshot(agreed_plan) == before
    assert provider.book_calls == 0


def test_retrying_the_booking_of_a_plan_that_has_started_is_a_conflict(client_for, staff, agreed_plan, provider):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Plan.objects.filter(pk=agreed_plan.pk).update(status=Plan.Status.CONFIRMED, start_time=an_hour_ago)
    booking = BookingFactory(plan=agreed_plan, status=Booking.Status.FAILED, attempts=1)
    before = snapshot(agreed_plan)

    response = client_for(staff).post(f"/bookings/{booking.pk}/retry/")

    assert response.status_code == 409
    assert response.json() == {"detail": "The plan's start time has passed; its booking is no longer retried."}
    assert snapshot(agreed_plan) == before
    assert provider.book_calls == 0


def test_confirming_when_the_only_acceptance_came_from_a_closed_account_is_a_conflict(
    client_for, alice, bob, agreed_plan, provider
):
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    before = snapshot(agreed_plan)

    response = client_for(alice).post(f"/plans/{agreed_plan.pk}/confirm/")

    assert response.status_code == 409
    assert response.json() == {"detail": "Nobody besides the organizer has accepted yet."}
    assert snapshot(agreed_plan) == before
    assert provider.book_calls == 0


def test_retrying_the_booking_of_a_plan_whose_venue_was_removed_is_a_conflict(client_for, staff, agreed_plan, provider):
    Plan.objects.filter(pk=agreed_plan.pk).update(status=Plan.Status.CONFIRMED)
    booking = BookingFactory(plan=agreed_plan, status=Booking.Status.FAILED, attempts=1)
    agreed_plan.venue.delete()
    before = snapshot(agreed_plan)

    response = client_for(staff).post(f"/bookings/{booking.pk}/retry/")

    assert response.status_code == 409
    assert response.json() == {"detail": "The plan's venue is no longer listed; its booking is no longer retried."}
    assert snapshot(agreed_plan) == before
    assert provider.book_calls == 0
