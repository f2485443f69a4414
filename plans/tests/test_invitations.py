"""Who may be invited to a plan, how many, and how many plans one account makes.

alice organizes; bob added alice (so she may invite him); mallory is a stranger to everyone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from luna.tests.caches import with_rates
from plans.models import Plan, PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def tomorrow() -> str:
    return (timezone.now() + timedelta(days=1)).isoformat()


@pytest.fixture
def mallory(db):
    return UserFactory(handle="mallory")


def people_who_added(user, count: int) -> list:
    people = UserFactory.create_batch(count)
    for person in people:
        SocialEdgeFactory(user=person, other_user=user)
    return people


def test_mallory_cannot_invite_a_stranger_and_nothing_is_stored(client_for, mallory, bob, venue):
    SocialEdgeFactory(user=mallory, other_user=bob)  # mallory adding bob is not bob's consent
    response = client_for(mallory).post(
        "/plans/", {"venue_id": str(venue.pk), "start_time": tomorrow(), "invitee_ids": [str(bob.pk)]}
    )
    assert response.status_code == 403
    assert "only people who have added you" in response.json()["detail"]
    assert str(bob.pk) in response.json()["detail"]
    assert not Plan.objects.exists()
    assert not PlanParticipant.objects.exists()


def test_mallory_cannot_add_a_stranger_to_her_plan_either(client_for, mallory, bob, venue):
    plan = PlanFactory(organizer=mallory, venue=venue)
    PlanParticipantFactory(plan=plan, user=mallory, status=PlanParticipant.Status.ACCEPTED)
    [friend] = people_who_added(mallory, 1)
    response = client_for(mallory).post(
        f"/plans/{plan.pk}/participants/", {"invitee_ids": [str(friend.pk), str(bob.pk)]}, format="json"
    )
    assert response.status_code == 403
    assert list(plan.participants.values_list("user__handle", flat=True)) == ["mallory"]


def test_someone_who_added_the_organizer_can_be_invited(client_for, alice, bob, venue):
    SocialEdgeFactory(user=bob, other_user=alice)
    response = client_for(alice).post(
        "/plans/", {"venue_id": str(venue.pk), "start_time": tomorrow(), "invitee_ids": [str(bob.pk)]}
    )
    assert response.status_code == 201
    assert [row["user"]["handle"] for row in response.json()["participants"]] == ["alice", "bob"]


def test_staff_may_invite_anyone_for_an_organizer(client_for, staff, alice, mallory, venue):
    body = {
        "venue_id": str(venue.pk),
        "start_time": tomorrow(),
        "organizer_id": str(alice.pk),
        "invitee_ids": [str(mallory.pk)],
    }
    assert client_for(staff).post("/plans/", body, format="json").status_code == 201
    plan = Plan.objects.get()
    other = UserFactory(handle="other")
    response = client_for(staff).post(
        f"/plans/{plan.pk}/participants/", {"invitee_ids": [str(other.pk)]}, format="json"
    )
    assert response.status_code == 200
    assert plan.participants.count() == 3


def test_a_plan_invites_at_most_20_people_besides_its_organizer(client_for, alice, venue, settings):
    assert settings.LUNA_PLAN_MAX_INVITEES == 20
    friends = people_who_added(alice, 21)
    body = {"venue_id": str(venue.pk), "start_time": tomorrow(), "invitee_ids": [str(f.pk) for f in friends]}
    response = client_for(alice).post("/plans/", body, format="json")
    assert response.status_code == 400
    assert response.json()["invitee_ids"] == [
        "A plan invites at most 20 people besides its organizer; this would make it 21."
    ]
    assert not Plan.objects.exists()
    assert not PlanParticipant.objects.exists()

    body["invitee_ids"] = body["invitee_ids"][:20]
    created = client_for(alice).post("/plans/", body, format="json")
    assert created.status_code == 201
    plan_id = created.json()["id"]
    response = client_for(alice).post(f"/plans/{plan_id}/participants/", {"invitee_ids": [str(friends[20].pk)]})
    assert response.status_code == 400
    assert "at most 20 people" in response.json()["invitee_ids"][0]
    assert PlanParticipant.objects.filter(plan_id=plan_id).count() == 21  # alice and 20


def test_the_cap_holds_for_staff_too(client_for, staff, alice, venue, settings):
    settings.LUNA_PLAN_MAX_INVITEES = 3
    people = UserFactory.create_batch(4)
    body = {
        "venue_id": str(venue.pk),
        "start_time": tomorrow(),
        "organizer_id": str(alice.pk),
        "invitee_ids": [str(person.pk) for person in people],
    }
    response = client_for(staff).post("/plans/", body, format="json")
    assert response.status_code == 400
    assert "at most 3 people" in response.json()["invitee_ids"][0]
    assert not Plan.objects.exists()

    body["invitee_ids"] = body["invitee_ids"][:3]
    plan_id = client_for(staff).post("/plans/", body, format="json").json()["id"]
    response = client_for(staff).post(f"/plans/{plan_id}/participants/", {"invitee_ids": [str(people[3].pk)]})
    assert response.status_code == 400
    assert PlanParticipant.objects.filter(plan_id=plan_id).count() == 4


def test_the_cap_holds_in_the_admin(client, alice, venue, settings):
    settings.LUNA_PLAN_MAX_INVITEES = 2
    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    plan = PlanFactory(organizer=alice, venue=venue)
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    people = UserFactory.create_batch(3)
    PlanParticipantFactory(plan=plan, user=people[0])
    PlanParticipantFactory(plan=plan, user=people[1])

    # One more, from the participants' own page: refused.
    page = client.post(
        "/admin/plans/planparticipant/add/", {"plan": str(plan.pk), "user": str(people[2].pk), "status": "invited"}
    )
    assert page.status_code == 200
    assert "A plan invites at most 2 people besides its organizer" in page.content.decode()
    assert plan.participants.count() == 3

    # One more through the plan page's participant rows: refused too.
    rows = list(plan.participants.order_by("id"))
    form = {
        "organizer": str(alice.pk),
        "venue": str(venue.pk),
        "start_time_0": plan.start_time.strftime("%Y-%m-%d"),
        "start_time_1": plan.start_time.strftime("%H:%M:%S"),
        "participants-TOTAL_FORMS": str(len(rows) + 1),
        "participants-INITIAL_FORMS": str(len(rows)),
        "participants-MIN_NUM_FORMS": "0",
        "participants-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        form.update(
            {
                f"participants-{index}-id": str(row.pk),
                f"participants-{index}-plan": str(plan.pk),
                f"participants-{index}-user": str(row.user_id),
                f"participants-{index}-status": row.status,
            }
        )
    form.update(
        {
            f"participants-{len(rows)}-plan": str(plan.pk),
            f"participants-{len(rows)}-user": str(people[2].pk),
            f"participants-{len(rows)}-status": "invited",
        }
    )
    page = client.post(f"/admin/plans/plan/{plan.pk}/change/", form)
    assert page.status_code == 200
    assert "A plan invites at most 2 people besides its organizer" in page.content.decode()
    assert plan.participants.count() == 3

    # Swapping someone out for someone else stays within the cap.
    form[f"participants-{len(rows) - 1}-DELETE"] = "on"
    assert client.post(f"/admin/plans/plan/{plan.pk}/change/", form).status_code == 302
    assert set(plan.participants.values_list("user_id", flat=True)) == {alice.pk, people[0].pk, people[2].pk}


def test_making_plans_is_throttled_per_user(client_for, alice, bob, venue, settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["plans"] == "30/hour"
    with_rates(settings, plans="2/hour")
    body = {"venue_id": str(venue.pk), "start_time": tomorrow()}
    statuses = [client_for(alice).post("/plans/", body).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert Plan.objects.filter(organizer=alice).count() == 2
    assert client_for(bob).post("/plans/", body).status_code == 201
    assert client_for(alice).get("/plans/").status_code == 200  # reading is not counted
