"""A plan's group suggestions from the members' kept candidate lists: the live ranking's answer to the
digit when the lists prove it, the live ranking when they cannot or a member's list is out of date."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from ranking.groups import STRATEGIES
from recommendations import plan_suggestions
from recommendations.candidates import candidates_answer
from recommendations.catalogue import catalogue_cache
from recommendations.models import CandidateList
from recommendations.plan_suggestions import suggest_plan_venues
from recommendations.tests.small_ranker import small_ranker
from recommendations.tests.test_learned import bulk_world, train
from recommendations.tests.worlds import build_world
from users.tests.factories import UserFactory
from venues.models import Venue
from venues.tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def from_lists(monkeypatch) -> list[bool]:
    """Whether each group call was answered from the members' lists (True) or ranked live (False)."""
    taken = []
    proven = plan_suggestions._from_lists

    def watched(*args, **kwargs):
        chosen = proven(*args, **kwargs)
        taken.append(chosen is not None)
        return chosen

    monkeypatch.setattr(plan_suggestions, "_from_lists", watched)
    return taken


def keep_lists(users) -> None:
    """Each user's list, as their own first read ranks and keeps it."""
    catalogue = catalogue_cache.current()
    for user in users:
        candidates_answer(
            user,
            catalogue,
            limit=1,
            categories=None,
            max_distance_km=None,
            max_price_level=None,
            exclude_interacted=False,
            ranker=None,
        )


def make_plan(members):
    # At a venue of the world: a new one would change the catalogue, and every list with it.
    plan = PlanFactory(organizer=members[0], venue=Venue.objects.order_by("id").first())
    for member in members:
        PlanParticipantFactory(plan=plan, user=member, status=PlanParticipant.Status.ACCEPTED)
    # Someone invited who has not accepted is not in the group.
    PlanParticipantFactory(plan=plan, status=PlanParticipant.Status.INVITED)
    return plan


def live(settings, **arguments):
    kept = settings.LUNA_CANDIDATES
    settings.LUNA_CANDIDATES = 0  # no lists: the live ranking
    try:
        return suggest_plan_venues(**arguments)
    finally:
        settings.LUNA_CANDIDATES = kept


@pytest.mark.parametrize("ranker", ["formula", "learned"])
def test_group_answers_from_the_lists_equal_the_live_rankings_over_many_plans_and_filters(settings, ranker, from_lists):
    # Short enough that some groups and filters go past the lists.
    settings.LUNA_CANDIDATES = 100 if ranker == "formula" else 60
    if ranker == "learned":
        settings.LUNA_RANKER = small_ranker(pool=20)
        users, *_ = bulk_world()
        train()
        users = users[:40]
    else:
        users = [user for user in build_world(23, users=40, venues=300, interactions=2000).users if user.is_active]
    keep_lists(users)
    staff = UserFactory(is_staff=True)
    catalogue = catalogue_cache.current()
    categories = [slug for slug in catalogue.categories if slug]
    rng = random.Random(7)
    compared = shown = 0
    for _ in range(14):
        members = rng.sample(users, rng.choice([1, 2, 3, 5, 10]))
        plan = make_plan(members)
        for _ in range(8):
            arguments = {
                "plan": plan,
                "viewer": rng.choice([None, staff, members[0], members[-1]]),
                "limit": rng.choice([1, 3, 10, 20]),
                "strategy": rng.choice(STRATEGIES),
                "categories": rng.choice([None, None, [rng.choice(categories)], rng.sample(categories, 2)]),
                "max_price_level": rng.choice([None, None, 2, 4]),
                "max_distance_km": rng.choice([None, None, 10.0, 25.0]),
                "exclude_interacted": rng.random() < 0.5,
            }
            answer = suggest_plan_venues(**arguments)
            assert answer == live(settings, **arguments), arguments
            compared += 1
            shown += bool(answer.suggestions)
    answered = sum(from_lists)
    # Both ways taken: groups the lists answer, and ones they cannot prove.
    assert answered >= compared // 3 and answered < len(from_lists) == compared
    assert shown >= compared // 2  # most filters leave something
    assert {answer.ranker} == {ranker}


def test_a_members_like_sends_the_group_live_until_their_list_is_ranked_again(client_for, settings, from_lists):
    users = [user for user in build_world(29, users=12, venues=120, interactions=600).users if user.is_active][1:6]
    keep_lists(users)
    plan = make_plan(users)
    client = client_for(users[0])

    def suggested() -> dict:
        response = client.get(f"/plans/{plan.pk}/venue-suggestions/", {"limit": 5, "exclude_interacted": "true"})
        assert response.status_code == 200, response.content
        return {row["venue_name"]: row for row in response.json()["suggestions"]}

    first = suggested()
    assert from_lists == [True]
    liked = next(iter(first))
    InteractionFactory(user=users[0], venue=Venue.objects.get(name=liked), interaction_type="like")
    kept = list(CandidateList.objects.order_by("user_id").values_list("user_id", "built_at"))

    assert liked not in suggested()  # the organizer's list is out of date: ranked live, with the like
    assert from_lists == [True]  # the lists were not used
    assert list(CandidateList.objects.order_by("user_id").values_list("user_id", "built_at")) == kept  # nor ranked

    keep_lists(users[:1])  # the organizer's own read (or the refresh after the like) ranks it again
    assert liked not in suggested()
    assert from_lists == [True, True]


def test_a_store_that_cannot_be_read_ranks_the_group_live(client_for, caplog):
    users = [user for user in build_world(31, users=8, venues=80, interactions=300).users if user.is_active][1:4]
    keep_lists(users)
    plan = make_plan(users)
    client = client_for(users[1])

    def body() -> dict:
        response = client.get(f"/plans/{plan.pk}/venue-suggestions/", {"limit": 10, "strategy": "least_misery"})
        assert response.status_code == 200, response.content
        return {key: value for key, value in response.json().items() if key != "recommendation_id"}

    expected = body()
    with connection.cursor() as cursor:  # the table gone (the test's transaction puts it back)
        cursor.execute("ALTER TABLE recommendations_candidatelist RENAME TO recommendations_candidatelist_gone")
    assert body() == expected
    assert "Candidate lists cannot be read, ranking the group live" in caplog.text


def test_from_the_lists_a_group_call_reads_less_and_the_reads_do_not_grow_with_the_group(client_for, from_lists):
    users = [user for user in build_world(37, users=14, venues=150, interactions=700).users if user.is_active][1:]
    keep_lists(users)
    client = client_for(users[0])

    def queries(plan) -> int:
        client.get(f"/plans/{plan.pk}/venue-suggestions/")  # warm the catalogue
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/plans/{plan.pk}/venue-suggestions/").status_code == 200
        return len(captured)

    small, big = make_plan(users[:2]), make_plan(users[:10])
    kept = queries(small)
    assert queries(big) == kept
    assert from_lists == [True] * 4
    InteractionFactory(user=users[1], venue=Venue.objects.order_by("id").last(), interaction_type="like")
    # A member's list out of date: the lists' read, then the members' interactions (formula: no friends).
    assert queries(small) == queries(big) == kept + 1
    assert from_lists == [True] * 4
