"""Each user's kept candidate list (recommendations.candidates): answers equal to the live ranking's,
the user's own writes in their next answer, others' and a new model within the bound, the live
ranking when the store fails."""

from __future__ import annotations

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from luna.metrics import CANDIDATE_LISTS
from recommendations.candidates import candidates_answer, own_mark
from recommendations.catalogue import catalogue_cache
from recommendations.models import CandidateList
from recommendations.selectors import user_venue_totals
from recommendations.services import _rank_venues, recommend_venues
from recommendations.tests.small_ranker import small_ranker
from recommendations.tests.test_learned import bulk_world, train
from recommendations.tests.worlds import build_world
from users.models import User
from venues.tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


def outcomes() -> dict[str, float]:
    return {
        outcome: CANDIDATE_LISTS.labels(outcome=outcome)._value.get() for outcome in ("hit", "built", "live", "failed")
    }


def served(client, user, **query) -> list[dict]:
    response = client.get(f"/reco/venues/{user.pk}/", {"limit": 100, **query})
    assert response.status_code == 200, response.content
    return response.json()


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["venue_name"]: row for row in rows}


def age_lists(settings, seconds: float | None = None) -> None:
    """Make every kept list this old (default: the bound itself)."""
    age = settings.LUNA_CANDIDATES_MAX_AGE if seconds is None else seconds
    CandidateList.objects.update(built_at=timezone.now() - timedelta(seconds=age))


def queries(rng: random.Random, user: User, categories: list[str]) -> list[dict]:
    """A spread of the API's filters, each alone and mixed."""
    found = []
    for _ in range(12):
        query = {"limit": rng.choice([1, 5, 10, 20, 100]), "exclude_interacted": rng.random() < 0.5}
        query["categories"] = rng.choice([None, None, [rng.choice(categories)], rng.sample(categories, 2)])
        query["max_price_level"] = rng.choice([None, None, 2, 4])
        query["max_distance_km"] = rng.choice([None, None, 10.0, 25.0]) if user.has_home else None
        found.append(query)
    return found


@pytest.mark.parametrize("ranker", ["formula", "learned"])
def test_answers_from_the_lists_equal_the_live_rankings_over_many_users_and_filters(settings, ranker):
    settings.LUNA_CANDIDATES = 60  # short enough that some filters go past it
    if ranker == "learned":
        settings.LUNA_RANKER = small_ranker(pool=20)
        users, *_ = bulk_world()
        train()
        users = users[:25]
    else:
        users = build_world(21, users=25, venues=300, interactions=1500).users
    catalogue = catalogue_cache.current()
    rng = random.Random(5)
    answered = live = 0
    for user in users:
        if not user.is_active:
            continue
        for query in queries(rng, user, [slug for slug in catalogue.categories if slug]):
            filters = {"ranker": None, **query}
            kept = candidates_answer(user, catalogue, **filters)
            expected = _rank_venues(user, catalogue, user_venue_totals(user_id=user.id), **filters)
            if kept is None:
                live += 1
                continue
            answered += 1
            assert kept == expected, (user.handle, query)
    assert answered >= 100 and live > 0  # both ways taken: filters the list answers, and ones past it
    assert {row.ranker for row in recommend_venues(users[1], limit=5)} == {ranker}


def test_after_a_like_the_venue_leaves_exclude_interacted_lists_and_its_features_move(
    client_for, alice, venues_near_alice
):
    client = client_for(alice)
    assert served(client, alice, exclude_interacted="true")[0]["venue_name"] == "Near Bar"
    assert by_name(served(client, alice))["Near Bar"]["features"]["preference"] == 0.0
    assert CandidateList.objects.filter(user=alice).count() == 1

    response = client.post(f"/venues/{venues_near_alice[0].pk}/interactions/", {"interaction_type": "like"})
    assert response.status_code == 201

    assert "Near Bar" not in by_name(served(client, alice, exclude_interacted="true"))
    assert by_name(served(client, alice))["Near Bar"]["features"]["preference"] == 0.5


def test_a_like_ranks_the_users_list_again_once_it_commits(
    client_for, alice, venues_near_alice, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    served(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/venues/{venues_near_alice[3].pk}/interactions/", {"interaction_type": "like"})
    assert response.status_code == 201
    assert CandidateList.objects.get(user=alice).own_mark == own_mark(alice)  # ranked again after the commit

    before = outcomes()
    assert served(client, alice)[0]["venue_name"] == "Uptown Cafe"
    assert outcomes()["hit"] == before["hit"] + 1  # answered from it, nothing ranked on the read


def test_an_edge_ranks_both_ends_lists_again_once_it_commits(
    client_for, alice, bob, venues_near_alice, django_capture_on_commit_callbacks
):
    served(client_for(alice), alice)
    served(client_for(bob), bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post("/social/edges/", {"other_user_id": str(bob.pk), "strength": 0.8})
    assert response.status_code == 201, response.content
    assert CandidateList.objects.get(user=alice).own_mark == own_mark(alice)
    assert CandidateList.objects.get(user=bob).own_mark == own_mark(bob)


def test_a_home_move_shows_in_the_next_answer(client_for, alice, venues_near_alice):
    client = client_for(alice)
    assert served(client, alice)[0]["venue_name"] == "Near Bar"
    alice.home_lat, alice.home_lng = 40.8000, -73.9500  # at Uptown Cafe
    alice.save()
    first = served(client, alice)[0]
    assert (first["venue_name"], first["distance_km"]) == ("Uptown Cafe", 0.0)


def test_others_likes_show_once_the_list_is_as_old_as_the_bound_and_not_before(
    client_for, alice, bob, venues_near_alice, settings
):
    client = client_for(alice)
    assert by_name(served(client, alice))["Far Bar"]["features"]["popularity"] == 0.0
    InteractionFactory(user=bob, venue=venues_near_alice[2], interaction_type="like")

    age_lists(settings, settings.LUNA_CANDIDATES_MAX_AGE - 5)
    assert by_name(served(client, alice))["Far Bar"]["features"]["popularity"] == 0.0  # within the bound
    age_lists(settings)
    assert by_name(served(client, alice))["Far Bar"]["features"]["popularity"] == 1.0
    kept = CandidateList.objects.get(user=alice)
    assert timezone.now() - kept.built_at < timedelta(seconds=5)  # ranked again and kept by that read


def test_another_model_version_answers_from_the_next_request_and_the_refresh_ranks_every_list(client_for, settings):
    settings.LUNA_RANKER = small_ranker(pool=20)
    users, *_ = bulk_world()
    train()
    first, second = users[0], users[1]
    for user in (first, second):
        assert {row["model_version"] for row in served(client_for(user), user, limit=10)} == {1}

    train("--activate-anyway")
    # A list ranked by version 1 is not served once version 2 is active: the first user's read ranks again.
    assert {row["model_version"] for row in served(client_for(first), first, limit=10)} == {2}
    # The refresh ranks the lists still ranked by version 1 (the second user's), so their reads find them.
    out = StringIO()
    call_command("refresh_candidates", stdout=out)
    assert "Ranked again the candidate lists of 1 users" in out.getvalue()
    assert set(CandidateList.objects.values_list("model_version", flat=True)) == {2}
    before = outcomes()
    assert {row["model_version"] for row in served(client_for(second), second, limit=10)} == {2}
    assert outcomes()["hit"] == before["hit"] + 1


def test_only_due_lists_are_refreshed(client_for, alice, bob, venues_near_alice, settings):
    served(client_for(alice), alice)
    served(client_for(bob), bob)
    CandidateList.objects.filter(user=bob).update(
        built_at=timezone.now() - timedelta(seconds=settings.LUNA_CANDIDATES_MAX_AGE / 2 + 1)
    )
    alice_built = CandidateList.objects.get(user=alice).built_at
    out = StringIO()
    call_command("refresh_candidates", stdout=out)
    assert "of 1 users" in out.getvalue()
    assert CandidateList.objects.get(user=alice).built_at == alice_built
    assert timezone.now() - CandidateList.objects.get(user=bob).built_at < timedelta(seconds=5)


def without_ids(rows: list[dict]) -> list[dict]:
    return [{key: value for key, value in row.items() if key != "recommendation_id"} for row in rows]


def test_a_store_that_cannot_be_read_answers_from_the_live_ranking(client_for, alice, venues_near_alice, caplog):
    client = client_for(alice)
    expected = without_ids(served(client, alice))
    with connection.cursor() as cursor:  # the table gone (the test's transaction puts it back)
        cursor.execute("ALTER TABLE recommendations_candidatelist RENAME TO recommendations_candidatelist_gone")
    before = outcomes()

    assert without_ids(served(client, alice)) == expected
    assert outcomes()["failed"] == before["failed"] + 1
    assert "Candidate lists cannot be read, ranking live" in caplog.text
    # What the request does next still works (in a transaction, the failed read was rolled back alone).
    response = client.post(f"/venues/{venues_near_alice[1].pk}/interactions/", {"interaction_type": "like"})
    assert response.status_code == 201


def test_a_store_that_cannot_be_written_still_answers_from_the_list_it_ranked(
    client_for, alice, venues_near_alice, monkeypatch, caplog
):
    # A key longer than the column: PostgreSQL refuses the row (SQLite does not check a varchar's length).
    monkeypatch.setattr("recommendations.candidates.ranker_key", lambda name, version: "x" * 41)
    before = outcomes()
    rows = served(client_for(alice), alice)
    assert [row["venue_name"] for row in rows] == ["Near Bar", "Middle Bar", "Far Bar", "Uptown Cafe"]
    if connection.vendor == "postgresql":
        assert outcomes()["failed"] == before["failed"] + 1
        assert "A candidate list cannot be kept" in caplog.text
        assert not CandidateList.objects.exists()


def test_a_list_is_never_served_to_anyone_else(client_for, alice, bob, staff, venues_near_alice):
    InteractionFactory(user=alice, venue=venues_near_alice[3], interaction_type="like")
    alices = served(client_for(alice), alice)
    assert alices[0]["venue_name"] == "Uptown Cafe"

    response = client_for(bob).get(f"/reco/venues/{alice.pk}/")
    assert response.status_code == 403
    assert "Uptown Cafe" not in response.content.decode()
    bobs = served(client_for(bob), bob)
    assert bobs[0]["venue_name"] == "Near Bar"
    assert by_name(bobs)["Uptown Cafe"]["features"]["preference"] == 0.0
    assert set(CandidateList.objects.values_list("user__handle", flat=True)) == {"alice", "bob"}

    # Staff see alice's answer as she does (from her list), and nothing is recorded for her.
    assert without_ids(served(client_for(staff), alice)) == without_ids(alices)


def test_the_cheap_rankers_keep_no_list_and_zero_keeps_none(client_for, alice, venues_near_alice, settings):
    client = client_for(alice)
    served(client, alice, ranker="popularity")
    served(client, alice, ranker="distance")
    assert not CandidateList.objects.exists()
    settings.LUNA_CANDIDATES = 0
    served(client, alice)
    assert not CandidateList.objects.exists()


def test_a_list_holding_every_venue_answers_any_filter(client_for, alice, venues_near_alice):
    client = client_for(alice)
    served(client, alice)
    before = outcomes()
    assert [row["venue_name"] for row in served(client, alice, category="cafe")] == ["Uptown Cafe"]
    assert served(client, alice, max_price_level=1, category="cafe") == []
    assert outcomes()["hit"] == before["hit"] + 2


def test_beat_queues_the_due_lists_to_the_workers_in_batches(
    client_for, alice, bob, venues_near_alice, settings, monkeypatch
):
    from django.conf import settings as django_settings

    from recommendations import tasks

    assert django_settings.CELERY_BEAT_SCHEDULE["refresh-candidates"] == {
        "task": "recommendations.refresh_candidates",
        "schedule": django_settings.LUNA_CANDIDATES_MAX_AGE / 4,
    }
    served(client_for(alice), alice)
    served(client_for(bob), bob)
    age_lists(settings, settings.LUNA_CANDIDATES_MAX_AGE)
    settings.LUNA_CANDIDATES_BATCH = 1
    queued = []

    def worker_runs(user_ids: list[str]) -> None:  # what a worker does with each queued batch
        queued.append(user_ids)
        tasks.refresh_user_candidates(user_ids)

    monkeypatch.setattr(tasks.refresh_user_candidates, "delay", worker_runs)
    assert tasks.refresh_candidates() == 2
    assert sorted(queued) == sorted([[str(alice.pk)], [str(bob.pk)]])  # one batch of one user each
    built = CandidateList.objects.values_list("built_at", flat=True)
    assert all(timezone.now() - at < timedelta(seconds=5) for at in built)
