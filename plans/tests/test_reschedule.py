"""A pending plan moves to another time (PATCH start_time, plans.services.plan_reschedule), with the
rules of a new plan's time, and the group is asked again; invitees are named invitee_ids everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from plans.models import Plan, PlanParticipant
from plans.tests.test_admin import plan_form
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


def answers(plan: Plan) -> dict[str, str]:
    return dict(plan.participants.values_list("user__handle", "status"))


def reschedule(client, plan: Plan, start_time):
    body = {"start_time": start_time if isinstance(start_time, str) else start_time.isoformat()}
    return client.patch(f"/plans/{plan.pk}/", body, format="json")


def test_alice_moves_her_plan_to_another_time_and_bob_is_asked_again(client_for, alice, agreed_plan):
    later = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = reschedule(client_for(alice), agreed_plan, later)
    assert response.status_code == 200, response.content
    assert response.json()["start_time"] == later.isoformat().replace("+00:00", "Z")
    assert Plan.objects.get(pk=agreed_plan.pk).start_time == later
    assert answers(agreed_plan) == {"alice": "accepted", "bob": "invited"}


def test_the_same_time_again_changes_nothing(client_for, alice, agreed_plan):
    response = reschedule(client_for(alice), agreed_plan, agreed_plan.start_time)
    assert response.status_code == 200
    assert answers(agreed_plan) == {"alice": "accepted", "bob": "accepted"}


@pytest.mark.parametrize(
    "when, message",
    [
        (lambda now: now - timedelta(hours=1), "The start time must be in the future."),
        (lambda now: now + timedelta(days=731), "The start time must be within 730 days from now."),
        (lambda now: "tomorrow", None),
        (lambda now: (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S"), None),  # no time zone
    ],
    ids=["past", "beyond-horizon", "not-a-time", "naive"],
)
def test_a_time_a_new_plan_could_not_have_is_a_400_and_changes_nothing(client_for, alice, agreed_plan, when, message):
    response = reschedule(client_for(alice), agreed_plan, when(timezone.now()))
    assert response.status_code == 400
    if message:
        assert response.json() == {"start_time": [message]}
    assert "start_time" in response.json()
    plan = Plan.objects.get(pk=agreed_plan.pk)
    assert plan.start_time == agreed_plan.start_time
    assert answers(plan) == {"alice": "accepted", "bob": "accepted"}


def test_bob_the_invitee_and_mallory_the_stranger_cannot_move_alices_plan(client_for, bob, agreed_plan):
    mallory = UserFactory(handle="mallory")
    later = timezone.now() + timedelta(days=3)
    assert reschedule(client_for(bob), agreed_plan, later).status_code == 403
    assert reschedule(client_for(mallory), agreed_plan, later).status_code == 403
    assert Plan.objects.get(pk=agreed_plan.pk).start_time == agreed_plan.start_time


def test_a_confirmed_plan_keeps_its_time(client_for, alice, confirmed_plan):
    response = reschedule(client_for(alice), confirmed_plan, timezone.now() + timedelta(days=3))
    assert response.status_code == 409
    assert Plan.objects.get(pk=confirmed_plan.pk).start_time == confirmed_plan.start_time


def test_venue_and_time_change_together_or_not_at_all(client_for, alice, agreed_plan):
    elsewhere = VenueFactory(name="Elsewhere")
    too_late = timezone.now() + timedelta(days=800)
    body = {"venue_id": str(elsewhere.pk), "start_time": too_late.isoformat()}
    assert client_for(alice).patch(f"/plans/{agreed_plan.pk}/", body, format="json").status_code == 400
    assert Plan.objects.get(pk=agreed_plan.pk).venue_id == agreed_plan.venue_id

    later = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    body["start_time"] = later.isoformat()
    assert client_for(alice).patch(f"/plans/{agreed_plan.pk}/", body, format="json").status_code == 200
    plan = Plan.objects.get(pk=agreed_plan.pk)
    assert (plan.venue_id, plan.start_time) == (elsewhere.pk, later)


def test_an_empty_patch_is_a_400_saying_what_to_give(client_for, alice, plan):
    response = client_for(alice).patch(f"/plans/{plan.pk}/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Give venue_id, start_time or both."]}


# --- the admin's pending-plan page ------------------------------------------------------------


def test_the_admin_moves_a_pending_plan_to_another_time_and_asks_the_group_again(admin_client, alice, agreed_plan):
    later = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    url = reverse("admin:plans_plan_change", args=[agreed_plan.pk])
    response = admin_client.post(url, plan_form(organizer=alice, venue=agreed_plan.venue, start=later))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Plan.objects.get(pk=agreed_plan.pk).start_time == later
    assert answers(agreed_plan) == {"alice": "accepted", "bob": "invited"}


# --- one name for invitees --------------------------------------------------------------------


def test_people_are_added_to_a_plan_with_invitee_ids_as_when_making_one(client_for, alice, plan):
    dana = UserFactory(handle="dana")
    SocialEdgeFactory(user=dana, other_user=alice)
    response = client_for(alice).post(f"/plans/{plan.pk}/participants/", {"invitee_ids": [str(dana.pk)]})
    assert response.status_code == 200
    assert answers(plan)["dana"] == PlanParticipant.Status.INVITED


def test_the_old_name_user_ids_is_a_400_naming_the_new_one(client_for, alice, plan):
    dana = UserFactory(handle="dana")
    SocialEdgeFactory(user=dana, other_user=alice)
    response = client_for(alice).post(f"/plans/{plan.pk}/participants/", {"user_ids": [str(dana.pk)]})
    assert response.status_code == 400
    assert response.json() == {"user_ids": ["Renamed: give invitee_ids, as when making a plan."]}
    assert "dana" not in answers(plan)
