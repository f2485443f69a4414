"""Suggestions for a plan's group: venues for everyone, people to invite, and moving the plan to a suggestion."""

from __future__ import annotations

import math
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import Plan, PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from ranking.groups import group_scores, group_top_k
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory
from venues.tests.factories import InteractionFactory, VenueFactory

# Two homes 10 km apart on a meridian (0.0899 degrees of latitude is 10.0 km).
WEST, EAST = (40.70, -74.00), (40.70 + 0.0899, -74.00)
MIDDLE = (40.70 + 0.04495, -74.00)


def test_each_strategy_orders_a_known_matrix_its_own_way():
    scores = np.array(
        [
            [1.0, 0.5, 0.9, 0.55],
            [0.2, 0.5, 0.4, 0.52],
        ]
    )
    everything = np.arange(4)
    assert group_top_k(scores, "average", 4, everything)[0].tolist() == [2, 0, 3, 1]
    assert group_top_k(scores, "least_misery", 4, everything)[0].tolist() == [3, 1, 2, 0]
    assert group_top_k(scores, "fair", 4, everything)[0].tolist() == [3, 2, 1, 0]
    # fair = mean - 0.5 x standard deviation
    assert group_scores(scores, "fair")[0] == pytest.approx(0.6 - 0.5 * 0.4)
    with pytest.raises(ValueError, match="Unknown group strategy"):
        group_scores(scores, "loudest")


@pytest.fixture
def town(db):
    """west (alice) and east (bob) live 10 km apart; a venue at each home and one halfway."""
    alice = UserFactory(handle="alice", home_lat=WEST[0], home_lng=WEST[1])
    bob = UserFactory(handle="bob", home_lat=EAST[0], home_lng=EAST[1])
    venues = {
        "west": VenueFactory(name="West", lat=WEST[0], lng=WEST[1], category="bar"),
        "east": VenueFactory(name="East", lat=EAST[0], lng=EAST[1], category="bar"),
        "middle": VenueFactory(name="Middle", lat=MIDDLE[0], lng=MIDDLE[1], category="cafe"),
    }
    plan = PlanFactory(organizer=alice, venue=venues["west"])
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob, status=PlanParticipant.Status.ACCEPTED)
    return {"alice": alice, "bob": bob, "plan": plan, **venues}


def suggestions(client, plan, **query):
    return client.get(f"/plans/{plan.pk}/venue-suggestions/", {"ranker": "formula", **query})


def names(response) -> list[str]:
    return [row["venue_name"] for row in response.json()["suggestions"]]


def test_least_misery_meets_halfway_and_average_goes_to_someone(town, client_for, staff):
    client = client_for(town["alice"])
    average = suggestions(client, town["plan"])
    assert average.status_code == 200
    body = average.json()
    assert body["strategy"] == "average" and body["ranker"] == "formula"
    assert [member["handle"] for member in body["members"]] == ["alice", "bob"]
    # Near one home: 0.4 (there) and 0.4 e^-3 (10 km off); halfway 0.4 e^-1.5 for both.
    assert names(average)[2] == "Middle"
    assert suggestions(client, town["plan"], strategy="least_misery").json()["suggestions"][0]["venue_name"] == "Middle"
    assert names(suggestions(client, town["plan"], strategy="fair"))[2] == "Middle"
    # alice sees her own figures only; staff see every member's (below).
    assert {len(row["members"]) for row in body["suggestions"]} == {1}
    assert {row["members"][0]["user_id"] for row in body["suggestions"]} == {str(town["alice"].pk)}

    body = suggestions(client_for(staff), town["plan"]).json()
    first = body["suggestions"][0]
    alice_score, bob_score = (member["score"] for member in first["members"])
    assert first["score"] == pytest.approx((alice_score + bob_score) / 2)
    near, far = sorted([alice_score, bob_score], reverse=True)
    assert near == pytest.approx(0.4, abs=1e-6) and far == pytest.approx(0.4 * math.exp(-3), abs=1e-4)
    pleased = {member["user_id"]: member["score"] for member in first["members"]}
    assert pleased[first["most_pleased"]] == near and pleased[first["least_pleased"]] == far
    assert {member["distance_km"] is not None for member in first["members"]} == {True}
    assert set(first["features"]) == {"spatial", "preference", "popularity"}


def test_filters_apply_to_the_whole_group_for_staff_and_to_a_members_own_home_and_visits(town, client_for, staff):
    client = client_for(town["alice"])
    assert names(suggestions(client, town["plan"], category="cafe")) == ["Middle"]
    # Within 6 km of both homes: only halfway (staff); of alice's own: her venue and halfway.
    assert names(suggestions(client_for(staff), town["plan"], max_distance_km=6)) == ["Middle"]
    assert sorted(names(suggestions(client, town["plan"], max_distance_km=6))) == ["Middle", "West"]
    InteractionFactory(user=town["bob"], venue=town["middle"], interaction_type="view")
    assert "Middle" not in names(suggestions(client_for(staff), town["plan"], exclude_interacted="true"))
    assert "Middle" in names(suggestions(client, town["plan"], exclude_interacted="true"))  # bob's visit is his
    InteractionFactory(user=town["alice"], venue=town["middle"], interaction_type="view")
    assert "Middle" not in names(suggestions(client, town["plan"], exclude_interacted="true"))
    # A filter that leaves nothing is an empty list.
    empty = suggestions(client, town["plan"], category="museum")
    assert empty.status_code == 200 and empty.json()["suggestions"] == []


def test_members_without_a_home_are_left_out_of_the_distance_filter_and_named_to_themselves(town, client_for, staff):
    homeless = UserFactory(handle="drifter", home_lat=None, home_lng=None)
    PlanParticipantFactory(plan=town["plan"], user=homeless, status=PlanParticipant.Status.ACCEPTED)
    body = suggestions(client_for(staff), town["plan"], max_distance_km=6).json()
    assert body["distance_filter_ignores"] == [str(homeless.pk)]
    assert [row["venue_name"] for row in body["suggestions"]] == ["Middle"]
    drifter = next(member for member in body["suggestions"][0]["members"] if member["user_id"] == str(homeless.pk))
    assert drifter["distance_km"] is None
    own = suggestions(client_for(homeless), town["plan"], max_distance_km=6).json()
    assert own["distance_filter_ignores"] == [str(homeless.pk)]
    assert own["suggestions"][0]["members"] == [
        {"user_id": str(homeless.pk), "score": drifter["score"], "distance_km": None}
    ]
    # Whether someone else has a home is not alice's to know.
    as_alice = suggestions(client_for(town["alice"]), town["plan"], max_distance_km=6).json()
    assert as_alice["distance_filter_ignores"] == []
    assert {member["handle"]: member["has_home"] for member in as_alice["members"]} == {
        "alice": True,
        "bob": None,
        "drifter": None,
    }
    assert suggestions(client_for(staff), town["plan"]).json()["distance_filter_ignores"] == []


@pytest.mark.parametrize("answer", [PlanParticipant.Status.DECLINED, PlanParticipant.Status.INVITED])
def test_the_group_is_the_organizer_and_everyone_who_accepted(town, client_for, answer):
    town["plan"].participants.filter(user=town["bob"]).update(status=answer)
    body = suggestions(client_for(town["alice"]), town["plan"]).json()
    assert [member["handle"] for member in body["members"]] == ["alice"]  # a group of one works
    assert names(suggestions(client_for(town["alice"]), town["plan"]))[0] == "West"


def test_who_may_see_the_suggestions(town, client_for, staff):
    plan = town["plan"]
    outsider = UserFactory(handle="outsider")
    for user, status in ((town["alice"], 200), (town["bob"], 200), (staff, 200), (outsider, 404), (None, 401)):
        assert client_for(user).get(f"/plans/{plan.pk}/venue-suggestions/").status_code == status, user
    # Whom to invite is for those who invite: bob, a participant, gets 403.
    for user, status in ((town["alice"], 200), (town["bob"], 403), (staff, 200), (outsider, 404), (None, 401)):
        assert client_for(user).get(f"/plans/{plan.pk}/people-suggestions/").status_code == status, user
    assert client_for(staff).get("/plans/not-a-uuid/venue-suggestions/").status_code == 404
    assert client_for(staff).get(f"/plans/{outsider.pk}/venue-suggestions/").status_code == 404


@pytest.mark.parametrize(
    "query, field",
    [({"strategy": "loudest"}, "strategy"), ({"limit": 0}, "limit"), ({"limit": 101}, "limit")],
)
def test_bad_queries_are_a_400(town, client_for, query, field):
    response = client_for(town["alice"]).get(f"/plans/{town['plan'].pk}/venue-suggestions/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_a_cancelled_plan_has_nothing_to_suggest(town, client_for):
    Plan.objects.filter(pk=town["plan"].pk).update(status=Plan.Status.CANCELLED)
    for path in ("venue-suggestions", "people-suggestions"):
        response = client_for(town["alice"]).get(f"/plans/{town['plan'].pk}/{path}/")
        assert response.status_code == 409
        assert "cancelled" in response.json()["detail"]


def test_the_queries_do_not_grow_with_the_group(town, client_for):
    def queries(plan) -> int:
        client = client_for(town["alice"])
        client.get(f"/plans/{plan.pk}/venue-suggestions/")  # warm the catalogue
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/plans/{plan.pk}/venue-suggestions/").status_code == 200
        return len(captured)

    InteractionFactory(user=town["bob"], venue=town["east"], interaction_type="like")
    small = queries(town["plan"])
    big = PlanFactory(organizer=town["alice"], venue=town["west"])
    for user in [town["alice"], *UserFactory.create_batch(9)]:
        PlanParticipantFactory(plan=big, user=user, status=PlanParticipant.Status.ACCEPTED)
        InteractionFactory(user=user, venue=town["east"], interaction_type="like")
    assert queries(big) == small


# --- people to invite -----------------------------------------------------------


def test_people_to_invite_are_friends_not_in_the_plan_and_knowing_the_group_counts(town, client_for):
    alice, bob, plan = town["alice"], town["bob"], town["plan"]
    knows_bob = UserFactory(handle="knowsbob")
    stranger_to_bob = UserFactory(handle="loner")
    never_added_alice = UserFactory(handle="aloof")
    for friend in (bob, knows_bob, stranger_to_bob, never_added_alice):
        SocialEdgeFactory(user=alice, other_user=friend, strength=0.5)
    for friend in (bob, knows_bob, stranger_to_bob):
        SocialEdgeFactory(user=friend, other_user=alice)  # they may be invited by alice
    SocialEdgeFactory(user=bob, other_user=knows_bob)

    response = client_for(alice).get(f"/plans/{plan.pk}/people-suggestions/")
    assert response.status_code == 200
    body = response.json()
    # bob is already in the plan; aloof never added alice, so she cannot invite them.
    assert [row["handle"] for row in body] == ["knowsbob", "loner"]
    first, second = body
    assert first["reason"]["members_known"] == 1 and first["reason"]["connection"] == 1.0
    assert second["reason"]["members_known"] == 0
    assert first["score"] == pytest.approx(0.6 * 0.5 + 0.2 * 1.0)
    assert second["score"] == pytest.approx(0.6 * 0.5)
    assert set(first["reason"]) == {"strength", "direct", "category", "members_known", "connection"}


def test_a_friend_who_likes_the_plans_venue_ranks_higher(town, client_for):
    alice, plan = town["alice"], town["plan"]
    fan, indifferent = UserFactory(handle="fan"), UserFactory(handle="meh")
    for friend in (fan, indifferent):
        SocialEdgeFactory(user=alice, other_user=friend, strength=0.5)
        SocialEdgeFactory(user=friend, other_user=alice)
    InteractionFactory(user=fan, venue=town["west"], interaction_type="like")
    body = client_for(alice).get(f"/plans/{plan.pk}/people-suggestions/", {"limit": 1}).json()
    assert [row["handle"] for row in body] == ["fan"]
    assert body[0]["reason"]["direct"] > 0 and body[0]["reason"]["category"] > 0


# --- moving the plan to a suggested venue -----------------------------------------


def test_the_organizer_moves_a_pending_plan_and_everyone_else_is_asked_again(town, client_for):
    alice, plan = town["alice"], town["plan"]
    carol = UserFactory(handle="carol")
    PlanParticipantFactory(plan=plan, user=carol, status=PlanParticipant.Status.DECLINED)
    response = client_for(alice).patch(f"/plans/{plan.pk}/", {"venue_id": str(town["middle"].pk)}, format="json")
    assert response.status_code == 200
    assert response.json()["venue"]["id"] == str(town["middle"].pk)
    statuses = dict(plan.participants.values_list("user__handle", "status"))
    assert statuses == {"alice": "accepted", "bob": "invited", "carol": "invited"}
    assert Plan.objects.get(pk=plan.pk).venue == town["middle"]


def test_moving_to_the_same_venue_changes_nobodys_answer(town, client_for):
    plan = town["plan"]
    response = client_for(town["alice"]).patch(f"/plans/{plan.pk}/", {"venue_id": str(town["west"].pk)}, format="json")
    assert response.status_code == 200
    assert plan.participants.get(user=town["bob"]).status == "accepted"


@pytest.mark.parametrize("status", [Plan.Status.CONFIRMED, Plan.Status.CANCELLED])
def test_a_settled_plan_cannot_move(town, client_for, status):
    Plan.objects.filter(pk=town["plan"].pk).update(status=status)
    response = client_for(town["alice"]).patch(
        f"/plans/{town['plan'].pk}/", {"venue_id": str(town["middle"].pk)}, format="json"
    )
    assert response.status_code == 409
    assert Plan.objects.get(pk=town["plan"].pk).venue == town["west"]


def test_only_the_organizer_or_staff_moves_a_plan_and_bad_bodies_are_a_400(town, client_for, staff):
    plan, middle = town["plan"], town["middle"]
    url = f"/plans/{plan.pk}/"
    assert client_for(town["bob"]).patch(url, {"venue_id": str(middle.pk)}, format="json").status_code == 403
    for body in ({}, {"venue_id": "nope"}, {"venue_id": str(town["bob"].pk)}, {"venue_id": str(middle.pk), "x": 1}):
        assert client_for(town["alice"]).patch(url, body, format="json").status_code == 400, body
    assert Plan.objects.get(pk=plan.pk).venue == town["west"]
    assert plan.participants.get(user=town["bob"]).status == "accepted"
    assert client_for(staff).patch(url, {"venue_id": str(middle.pk)}, format="json").status_code == 200


def test_recommend_prints_the_group_table_as_the_user_sees_it(town):
    out = StringIO()
    call_command("recommend", "alice", "--plan", str(town["plan"].pk), "--strategy", "least_misery", stdout=out)
    lines = out.getvalue().splitlines()
    assert "2 in the group: alice, bob; least_misery; formula; as alice sees it" in lines[0]
    assert lines[1].split() == ["#", "venue", "category", "group", "alice", "most", "least"]
    assert lines[3].split()[1] == "Middle"
    assert "People to invite next (friends of alice" in out.getvalue()

    UserFactory(handle="root", is_staff=True)
    out = StringIO()
    call_command("recommend", "root", "--plan", str(town["plan"].pk), stdout=out)
    assert out.getvalue().splitlines()[1].split() == [
        "#",
        "venue",
        "category",
        "group",
        "alice",
        "bob",
        "most",
        "least",
    ]

    out = StringIO()
    call_command("recommend", "bob", "--plan", str(town["plan"].pk), stdout=out)
    assert "People to invite next: Only the plan's organizer and staff" in out.getvalue()
    with pytest.raises(CommandError, match="that outsider can see"):
        UserFactory(handle="outsider")
        call_command("recommend", "outsider", "--plan", str(town["plan"].pk), stdout=StringIO())


def test_the_admin_plan_page_shows_the_groups_suggestions(town, client):
    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    page = client.get(f"/admin/plans/plan/{town['plan'].pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Suggested for the group" in text
    assert "average (formula), for alice, bob" in text
    assert "<td>Middle</td>" in text
