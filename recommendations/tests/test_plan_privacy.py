"""What a plan's suggestions show one member of another: the group's figures and their own, nothing else.

mallory organizes; victim added mallory (so she may invite them); distances and scores of the
victim must never reach mallory, and an invitation alone shares nothing of the victim at all.
"""

from __future__ import annotations

import json
import re

import pytest

from plans.models import PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db

# Venues on a grid around both homes, so that distances from each home differ from venue to venue.
GRID = [(40.70 + 0.013 * row, -74.02 + 0.017 * column) for row in range(6) for column in range(6)]


@pytest.fixture
def scene():
    mallory = UserFactory(handle="mallory", home_lat=40.71, home_lng=-74.01)
    victim = UserFactory(handle="victim", home_lat=40.753, home_lng=-73.951)
    venues = [
        VenueFactory(lat=lat, lng=lng, category="bar" if index % 2 else "cafe") for index, (lat, lng) in enumerate(GRID)
    ]
    InteractionFactory(user=victim, venue=venues[3], interaction_type="like", dwell_time_seconds=120)
    SocialEdgeFactory(user=victim, other_user=mallory)  # the victim added mallory: she may invite them
    plan = PlanFactory(organizer=mallory, venue=venues[0])
    PlanParticipantFactory(plan=plan, user=mallory, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=victim, status=PlanParticipant.Status.INVITED)
    return {"mallory": mallory, "victim": victim, "plan": plan, "venues": venues}


QUERIES = [
    {"limit": 100, "ranker": "formula"},
    {"limit": 100, "ranker": "formula", "strategy": "least_misery", "max_distance_km": 50},
]


def without_answer_id(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "recommendation_id"}


def test_an_invited_person_who_has_not_accepted_shares_nothing_however_their_home_moves(scene, client_for):
    """The trilateration of the issue: nothing in mallory's answers varies with the victim's home."""
    mallory, victim, plan = scene["mallory"], scene["victim"], scene["plan"]
    client = client_for(mallory)

    def answers() -> list:
        venues = [client.get(f"/plans/{plan.pk}/venue-suggestions/", query) for query in QUERIES]
        people = client.get(f"/plans/{plan.pk}/people-suggestions/", {"limit": 100})
        assert [response.status_code for response in (*venues, people)] == [200, 200, 200]
        return [*(without_answer_id(response.json()) for response in venues), people.json()]

    before = answers()
    assert str(victim.pk) not in json.dumps(before)
    for home in ((40.80, -73.90), (40.60, -74.10), (None, None)):
        victim.home_lat, victim.home_lng = home
        victim.save()
        assert answers() == before, home


def test_a_member_who_accepted_is_in_the_group_but_their_figures_never_reach_the_others(scene, client_for, staff):
    mallory, victim, plan = scene["mallory"], scene["victim"], scene["plan"]
    plan.participants.filter(user=victim).update(status=PlanParticipant.Status.ACCEPTED)
    url = f"/plans/{plan.pk}/venue-suggestions/"

    # The victim's own figures, as staff (who see every member's) get them.
    full = client_for(staff).get(url, QUERIES[0]).json()
    assert [member["handle"] for member in full["members"]] == ["mallory", "victim"]
    theirs = [member for row in full["suggestions"] for member in row["members"] if member["user_id"] == str(victim.pk)]
    assert len(theirs) == len(full["suggestions"]) == len(GRID)
    distances = {f"{member['distance_km']}" for member in theirs}
    scores = {f"{member['score']}" for member in theirs}
    mine = {
        f"{member[field]}"
        for row in full["suggestions"]
        for member in row["members"]
        if member["user_id"] == str(mallory.pk)
        for field in ("distance_km", "score")
    }
    secrets = (distances | scores) - mine  # a figure the two happen to share says nothing

    for accept in ("application/json", "text/html"):
        response = client_for(mallory).get(url, QUERIES[0], HTTP_ACCEPT=accept)
        assert response.status_code == 200
        # Whole numbers, not substrings: 0.139 is not in 0.139562, one of mallory's own features.
        figures = set(re.findall(r"\d+\.\d+", response.content.decode()))
        leaked = sorted(secrets & figures)
        assert leaked == [], accept
    body = client_for(mallory).get(url, QUERIES[0]).json()
    assert {member["handle"]: member["has_home"] for member in body["members"]} == {"mallory": True, "victim": None}
    for row in body["suggestions"]:
        assert [member["user_id"] for member in row["members"]] == [str(mallory.pk)]
        assert row["most_pleased"] in (str(mallory.pk), str(victim.pk))  # an accepted member may be named

    # The people to invite are mallory's to see (she invites); the victim, a participant, gets 403 either way.
    for accept in ("application/json", "text/html"):
        response = client_for(victim).get(f"/plans/{plan.pk}/people-suggestions/", HTTP_ACCEPT=accept)
        assert response.status_code == 403, accept


def test_people_to_invite_show_no_likes_of_someone_who_never_added_the_organizer(scene, client_for):
    mallory, plan, venue = scene["mallory"], scene["plan"], scene["venues"][0]
    stranger = UserFactory(handle="stranger")
    SocialEdgeFactory(user=mallory, other_user=stranger)  # mallory added them; they did not add her
    InteractionFactory(user=stranger, venue=venue, interaction_type="like", dwell_time_seconds=600)
    for accept in ("application/json", "text/html"):
        response = client_for(mallory).get(f"/plans/{plan.pk}/people-suggestions/", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert str(stranger.pk) not in response.content.decode()


def test_an_accepted_members_home_cannot_be_recovered_from_the_features_or_by_probing_the_distance_filter(
    scene, client_for
):
    """With no home of her own, mallory's features and her max_distance_km filter were the victim's alone:
    the mean of the features gave their distance to each venue, halving the filter found it to the metre,
    and exclude_interacted said where they had been."""
    mallory, victim, plan = scene["mallory"], scene["victim"], scene["plan"]
    plan.participants.filter(user=victim).update(status=PlanParticipant.Status.ACCEPTED)
    mallory.home_lat = mallory.home_lng = None
    mallory.save()
    client = client_for(mallory)
    url = f"/plans/{plan.pk}/venue-suggestions/"

    def seen() -> tuple:
        full = client.get(url, {"limit": 100, "ranker": "formula"}).json()
        near = client.get(url, {"limit": 100, "ranker": "formula", "max_distance_km": 2}).json()
        new = client.get(url, {"limit": 100, "ranker": "formula", "exclude_interacted": "true"}).json()
        features = {row["venue_id"]: row["features"] for row in full["suggestions"]}
        return features, *(sorted(row["venue_id"] for row in answer["suggestions"]) for answer in (near, new))

    before = seen()
    for home in ((40.72, -74.00), (40.76, -73.96), (None, None)):
        victim.home_lat, victim.home_lng = home
        victim.save()
        assert seen() == before, home
    InteractionFactory(user=victim, venue=scene["venues"][7], interaction_type="view")  # nor where they have been
    assert seen() == before


def test_people_to_invite_say_nothing_of_the_friends_of_someone_who_was_only_invited(scene, client_for):
    """members_known counted the edges of every invited person: mallory learned whom the victim had added."""
    mallory, victim, plan = scene["mallory"], scene["victim"], scene["plan"]
    charlie = UserFactory(handle="charlie")
    SocialEdgeFactory(user=mallory, other_user=charlie)
    SocialEdgeFactory(user=charlie, other_user=mallory)  # mallory may invite charlie

    def charlies_reason() -> dict:
        body = client_for(mallory).get(f"/plans/{plan.pk}/people-suggestions/").json()
        return next(row["reason"] for row in body if row["handle"] == "charlie")

    before = charlies_reason()
    SocialEdgeFactory(user=victim, other_user=charlie)
    assert charlies_reason() == before
    plan.participants.filter(user=victim).update(status=PlanParticipant.Status.ACCEPTED)
    assert charlies_reason()["members_known"] == 1  # accepting shares it with the group
