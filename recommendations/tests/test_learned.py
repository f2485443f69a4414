"""The learned ranker: it learns planted structure, trains from the database, is served with explanations."""

from __future__ import annotations

import io
import json
import logging
import uuid
from io import StringIO

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from scipy.spatial import cKDTree

from luna.celery import app as celery_app
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from ranking.geometry import unit_vectors
from ranking.learned import ARTIFACT_FORMAT, GROUPS, INPUT_NAMES, LearnedRanker
from ranking.metrics import measure
from ranking.rankers import FormulaRanker, readable_explanation
from ranking.signals.factors import factors_of, widened
from ranking.topk import largest as _largest
from ranking.world import NearestVenues, World, csr
from recommendations import tasks
from recommendations.catalogue import catalogue_cache
from recommendations.models import RankerVersion
from recommendations.prefork import recommendations_warm
from recommendations.tests.small_ranker import small_ranker
from recommendations.training import ranker_activate, ranker_deactivate
from social.models import SocialEdge
from users.models import User
from users.tests.factories import UserFactory
from venues.models import Interaction, Venue
from venues.tests.factories import InteractionFactory, VenueFactory

# Each trains a model: `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

SMALL = small_ranker()


@pytest.fixture(autouse=True)
def small_models(settings):
    settings.LUNA_RANKER = SMALL


def planted(seed: int = 3, users: int = 120, venues: int = 90, tastes: int = 3):
    """People of a taste visit that taste's venues, which are anywhere in town: geography cannot
    tell them apart, who-went-where can. Returns (user taste, venue taste, visits, coordinates)."""
    rng = np.random.default_rng(seed)
    user_taste = rng.integers(0, tastes, users)
    venue_taste = rng.integers(0, tastes, venues)
    coordinates = np.c_[rng.uniform(40.70, 40.80, venues), rng.uniform(-74.02, -73.92, venues)]
    homes = np.c_[rng.uniform(40.70, 40.80, users), rng.uniform(-74.02, -73.92, users)]
    visits = []
    for user in range(users):
        mine = np.flatnonzero(venue_taste == user_taste[user])
        chosen = rng.choice(mine, size=min(12, len(mine)), replace=False)
        visits.append(chosen)
    return user_taste, venue_taste, visits, coordinates, homes


def test_a_trained_model_beats_the_formula_on_a_world_with_planted_taste():
    _, _, visits, coordinates, homes = planted()
    history_rows, history_cols, held_rows, held_cols = [], [], [], []
    for user, venues in enumerate(visits):
        history_rows += [user] * 8
        history_cols += venues[:8].tolist()
        held_rows += [user] * (len(venues) - 8)
        held_cols += venues[8:].tolist()
    shape = (len(visits), len(coordinates))
    history = csr(history_rows, history_cols, np.ones(len(history_rows)), shape)
    world = World(
        venue_lat=coordinates[:, 0],
        venue_lng=coordinates[:, 1],
        venue_category=np.full(shape[1], -1),
        positive=history,
        dwell=csr([], [], [], shape),
        interactions=history,
        home_lat=homes[:, 0],
        home_lng=homes[:, 1],
    )
    held_out = csr(held_rows, held_cols, np.ones(len(held_rows)), shape)

    learned = measure(LearnedRanker(SMALL).fit(world), world, held_out)
    formula = measure(FormulaRanker(), world, held_out)

    assert learned.users == formula.users == len(visits)
    assert learned.precision > 2 * formula.precision
    assert learned.precision > 0.15  # a third of the venues are of one's taste; 4 of them held out


def planted_world(history_per_user: int = 8) -> World:
    _, _, visits, coordinates, homes = planted()
    rows = [user for user, venues in enumerate(visits) for _ in venues[:history_per_user]]
    cols = [venue for venues in visits for venue in venues[:history_per_user].tolist()]
    shape = (len(visits), len(coordinates))
    history = csr(rows, cols, np.ones(len(rows)), shape)
    homes = homes.copy()
    homes[::7] = np.nan  # some users have no home
    return World(
        venue_lat=coordinates[:, 0],
        venue_lng=coordinates[:, 1],
        venue_category=np.arange(shape[1]) % 4 - 1,  # some venues have no category
        positive=history,
        dwell=csr([], [], [], shape),
        interactions=history,
        home_lat=homes[:, 0],
        home_lng=homes[:, 1],
    )


def test_the_shortlist_scores_its_venues_as_scoring_every_venue_does_and_bounds_the_rest():
    world = planted_world()
    ranker = LearnedRanker(small_ranker(seeds=2, pool=4)).fit(world)
    users = np.array([0, 1, 8])  # 0 has no home
    every = ranker.score(world, users)
    short = ranker.score_shortlist(world, users)
    assert short.positions is not None and len(short.positions) < world.n_venues
    # The same numbers, not merely close ones: offline (every venue) and online (the shortlist) agree.
    assert np.array_equal(short.score, every.score[:, short.positions])
    assert np.array_equal(short.distance, every.distance[:, short.positions], equal_nan=True)
    outside = np.ones(world.n_venues, dtype=bool)
    outside[short.positions] = False
    assert (every.score[:, outside].max(axis=1) <= short.outside_bound).all()
    assert (short.outside_bound < np.sort(short.score, axis=1)[:, -10]).all()  # the top 10 are provably in it
    features, contributions = short.explanation(np.array([0, 2]), np.array([0, 5]))
    expected_features, expected_contributions = every.explanation(np.array([0, 2]), short.positions[[0, 5]])
    for name in GROUPS:
        assert np.array_equal(features[name], expected_features[name])
        assert np.array_equal(contributions[name], expected_contributions[name])


def test_every_score_is_its_baseline_plus_its_contributions_and_is_served_0_to_1_in_the_same_order():
    world = planted_world()
    ranker = LearnedRanker(small_ranker(seeds=1, pool=20)).fit(world)
    users = np.arange(12)  # 0 has no home
    scored = ranker.score(world, users)
    venues = np.arange(world.n_venues)
    _, contributions = scored.explanation(users, venues)
    baseline = scored.baseline(users)
    # Exactly, venue by venue (the pool's offset is the not_a_candidate contribution).
    np.testing.assert_allclose(baseline[:, None] + sum(contributions.values()), scored.score, atol=1e-9)
    assert (contributions["not_a_candidate"] <= 0).all()
    assert (contributions["near_home"][0] == 0).all()  # without a home the distance says nothing

    shown, shown_baseline, shown_contributions = readable_explanation(
        scored.score, baseline, contributions, ranker.readable_scale()
    )
    assert ((shown >= 0) & (shown <= 1)).all()
    candidates = contributions["not_a_candidate"] == 0
    assert (shown[~candidates] == 0).all()  # after every candidate, which are all >= 0
    np.testing.assert_allclose(shown_baseline[:, None] + sum(shown_contributions.values()), shown, atol=1e-12)
    for row in range(len(users)):  # the order is the scores' own: never reversed by the map
        order = np.argsort(-scored.score[row], kind="stable")
        assert (np.diff(shown[row, order]) <= 0).all()


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("spread", ["popular_few", "even"])
def test_the_best_venues_of_a_factorization_are_those_ranking_every_venue_gives(aligned, spread):
    rng = np.random.default_rng(3)
    # Norms spread as a factorization's are (a few popular venues far above the rest: the search stops
    # early), or evenly (the best are anywhere: it goes on).
    items = rng.standard_normal((20_000, 8))
    if spread == "popular_few":
        items *= rng.pareto(2.0, size=(20_000, 1))
    model = factors_of(items, 1.0, 1.0, first=True)
    n_venues = 20_000
    positions = np.arange(n_venues)  # the world position of each venue as trained, -1: gone
    if aligned:  # the world lost every tenth venue and orders the rest otherwise
        positions = np.where(np.arange(n_venues) % 10 == 0, -1, rng.permutation(n_venues))
        rows = np.full(n_venues, -1)
        rows[positions[positions >= 0]] = np.flatnonzero(positions >= 0)
        model = model.aligned(rows, positions)
    users = rng.standard_normal((6, 8)).astype(np.float32)
    users[5] = 0.0  # no factors: nothing scores above 0
    been = [rng.choice(n_venues, size, replace=False) for size in (0, 3, 50, 400, 10, 5)]
    for count in (1, 25, 300):
        best = model.best_venues(users, been, count)
        for user, venues in enumerate(best):
            scores = np.full(n_venues, -np.inf)
            known = positions >= 0
            scores[positions[known]] = items.astype(np.float32)[known] @ users[user]
            scores[been[user]] = -np.inf
            expected = np.argsort(-scores, kind="stable")[:count]
            expected = expected[scores[expected] > 0]
            assert sorted(venues.tolist()) == sorted(expected.tolist())


def test_signals_do_not_depend_on_the_batch_they_are_computed_in():
    world = planted_world()
    ranker = LearnedRanker(SMALL).fit(world)
    users = np.arange(world.n_users)
    together = ranker.score(world, users).score
    alone = np.vstack([ranker.score(world, users[index : index + 1]).score for index in (0, 17, 63)])
    assert np.allclose(alone, together[[0, 17, 63]], rtol=1e-6, atol=1e-9)


def bulk_world(seed: int = 3) -> tuple[list[User], list[Venue], np.ndarray, np.ndarray]:
    """The planted world in the database: users, venues (category = taste) and like interactions.

    The ids are fixed: the ranker orders people and venues by id, and its held-out and validation
    users are drawn by position, so random ids would make every run a different split."""
    user_taste, venue_taste, visits, coordinates, homes = planted(seed)
    users = User.objects.bulk_create(
        User(
            id=uuid.UUID(int=index + 1),
            handle=f"taste-{index}",
            name=f"Taste {index}",
            home_lat=lat,
            home_lng=lng,
            password="!",
        )
        for index, (lat, lng) in enumerate(homes)
    )
    venues = Venue.objects.bulk_create(
        Venue(
            id=uuid.UUID(int=(1 << 64) + index),
            name=f"Place {index}",
            category=f"taste{venue_taste[index]}",
            lat=lat,
            lng=lng,
        )
        for index, (lat, lng) in enumerate(coordinates)
    )
    Interaction.objects.bulk_create(
        Interaction(user=users[user], venue=venues[venue], interaction_type="like")
        for user, chosen in enumerate(visits)
        for venue in chosen[:8].tolist()
    )
    return users, venues, user_taste, venue_taste


def train(*args: str) -> str:
    out = StringIO()
    call_command("train_ranker", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_train_ranker_stores_a_version_with_its_figures_and_serves_it(client_for):
    users, *_ = bulk_world()
    output = train()

    version = RankerVersion.objects.get()
    assert (version.version, version.is_active, version.ranker) == (1, True, "learned")
    assert version.trained_on["users"] == len(users)
    assert version.trained_on["positive_interactions"] == 8 * len(users)
    assert set(version.metrics) == {"learned", "formula", "gate"}
    assert version.metrics["learned"]["precision"] > version.metrics["formula"]["precision"]
    gate = version.metrics["gate"]
    assert (gate["against"], gate["users"], gate["passed"]) == ("formula", 30, True)  # a quarter of 120 users
    assert gate["low"] > 0
    assert version.artifact_bytes == len(version.artifact) > 0
    assert "On the held-out interactions of the validation users:" in output
    assert "Model version 1 is now served (P@10 +" in output

    body = client_for(users[0]).get(f"/reco/venues/{users[0].pk}/", {"limit": 5}).json()
    assert {(row["ranker"], row["model_version"]) for row in body} == {("learned", 1)}
    assert set(body[0]["contributions"]) == {*GROUPS, "not_a_candidate"}
    assert set(body[0]["features"]) == set(GROUPS)
    # The score is the baseline plus what the contributions add up to.
    explained = body[0]["baseline"] + sum(body[0]["contributions"].values())
    assert body[0]["score"] == pytest.approx(explained, rel=1e-4, abs=1e-4)


@pytest.mark.django_db
def test_train_ranker_on_three_users_and_five_likes_stores_nothing_and_says_why():
    alice, bob, carol = (UserFactory(handle=handle) for handle in ("alice", "bob", "carol"))
    venues = VenueFactory.create_batch(4)
    for user, venue in ((alice, 0), (alice, 1), (bob, 1), (bob, 2), (carol, 3)):
        InteractionFactory(user=user, venue=venues[venue], interaction_type="like")

    with pytest.raises(CommandError) as refused:
        train()

    assert str(refused.value) == (
        "Too little data to train a ranker: 2 users have liked two venues or more, 10 are needed; "
        "nothing stored, the formula keeps serving."
    )
    assert not RankerVersion.objects.exists()


@pytest.mark.django_db
def test_a_version_no_better_than_the_served_one_is_stored_and_the_served_one_keeps_serving(client_for):
    users, *_ = bulk_world()
    train()

    output = train()  # the same data and seed: the same weights, no lift over version 1

    first, second = RankerVersion.objects.order_by("version")
    assert (first.is_active, second.is_active) == (True, False)
    gate = second.metrics["gate"]
    assert (gate["against"], gate["users"], gate["lift"], gate["passed"]) == ("served", 30, 0.0, False)
    assert output.strip().splitlines()[-1] == (
        f"Model version 2 stored, not served: {gate['reason']}; version 1 keeps serving."
    )
    assert "not surely better than the served" in gate["reason"]
    body = client_for(users[0]).get(f"/reco/venues/{users[0].pk}/", {"limit": 3}).json()
    assert {row["model_version"] for row in body} == {1}


@pytest.mark.django_db
def test_activate_anyway_serves_a_version_the_gate_refused(client_for):
    users, *_ = bulk_world()
    train()

    output = train("--activate-anyway")

    assert RankerVersion.objects.get(is_active=True).version == 2
    assert RankerVersion.objects.get(version=2).metrics["gate"]["passed"] is False
    assert "Model version 2 is now served, activated anyway (" in output
    body = client_for(users[0]).get(f"/reco/venues/{users[0].pk}/", {"limit": 3}).json()
    assert {row["model_version"] for row in body} == {2}


@pytest.mark.django_db
def test_the_learned_ranker_recommends_the_users_taste(client_for):
    users, venues, user_taste, venue_taste = bulk_world()
    train()
    hits = []
    for user in users[:30]:
        body = client_for(user).get(f"/reco/venues/{user.pk}/", {"limit": 5, "exclude_interacted": "true"}).json()
        tastes = [venue_taste[int(row["venue_name"].split()[-1])] for row in body]
        hits.append(np.mean(np.array(tastes) == user_taste[users.index(user)]))
    assert np.mean(hits) > 0.8


@pytest.mark.django_db
def test_formula_is_always_there_exactly_and_learned_without_a_model_is_a_409(client_for):
    users, *_ = bulk_world()
    user = users[0]
    client = client_for(user)
    before = client.get(f"/reco/venues/{user.pk}/", {"limit": 10}).json()
    assert {row["ranker"] for row in before} == {"formula"}
    response = client.get(f"/reco/venues/{user.pk}/", {"ranker": "learned"})
    assert response.status_code == 409
    assert "train_ranker" in response.json()["detail"]

    train()
    after = client.get(f"/reco/venues/{user.pk}/", {"limit": 10, "ranker": "formula"}).json()
    assert [without_id(row) for row in after] == [without_id(row) for row in before]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"category": "taste1"},
        {"max_distance_km": 3},
        {"exclude_interacted": "true"},
        {"ranker": "popularity"},
        {"ranker": "distance"},
    ],
    ids=["category", "distance", "exclude-interacted", "popularity", "distance-ranker"],
)
def test_the_filters_hold_on_the_learned_ranker_and_the_others(client_for, query):
    users, venues, *_ = bulk_world()
    train()
    user = users[0]
    Venue.objects.filter(pk=venues[0].pk).update(price_level=2)
    body = client_for(user).get(f"/reco/venues/{user.pk}/", {"limit": 50, **query}).json()
    assert body
    if "category" in query:
        assert {row["category"] for row in body} == {"taste1"}
    if "max_distance_km" in query:
        assert all(row["distance_km"] <= 3 for row in body)
    if "exclude_interacted" in query:
        visited = set(Interaction.objects.filter(user=user).values_list("venue_id", flat=True))
        assert not visited & {uuid.UUID(row["venue_id"]) for row in body}
    if "ranker" in query:
        assert {row["ranker"] for row in body} == {query["ranker"]}


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{}, {"category": "taste1"}, {"max_distance_km": 4}], ids=["all", "category", "near"])
def test_a_short_list_is_the_start_of_a_long_one_whether_or_not_the_shortlist_holds_it(client_for, settings, query):
    settings.LUNA_RANKER = small_ranker(pool=4)  # a shortlist of a few venues: long lists score every venue
    users, *_ = bulk_world()
    train()
    client = client_for(users[1])
    lists = {
        limit: [row["venue_id"] for row in client.get(f"/reco/venues/{users[1].pk}/", {"limit": limit, **query}).json()]
        for limit in (3, 10, 60)
    }
    assert len(lists[3]) == 3 and len(lists[10]) == 10 and len(lists[60]) > 10
    assert lists[10][:3] == lists[3] and lists[60][:10] == lists[10]


@pytest.mark.django_db
def test_a_newcomer_without_history_still_gets_venues_near_home_and_popular_ones(client_for):
    bulk_world()
    train()
    newcomer = UserFactory(handle="newcomer", home_lat=40.75, home_lng=-73.97)
    body = client_for(newcomer).get(f"/reco/venues/{newcomer.pk}/", {"limit": 10}).json()
    assert len(body) == 10
    assert {row["ranker"] for row in body} == {"learned"}
    assert all(row["contributions"]["people_like_you"] == body[0]["contributions"]["people_like_you"] for row in body)
    assert body[0]["features"]["near_home"] <= max(row["features"]["near_home"] for row in body)


@pytest.mark.django_db
def test_a_venue_added_after_training_can_be_recommended(client_for):
    users, venues, *_ = bulk_world()
    train()
    user = users[0]
    visited = Interaction.objects.filter(user=user).select_related("venue").first().venue
    fresh = VenueFactory(name="Brand New Place", category=visited.category, lat=visited.lat, lng=visited.lng)
    body = client_for(user).get(f"/reco/venues/{user.pk}/", {"limit": 100, "exclude_interacted": "true"}).json()
    row = next(row for row in body if row["venue_id"] == str(fresh.pk))
    assert row["features"]["near_your_places"] > 0  # right where the user goes
    assert row["features"]["category_you_like"] > 0


@pytest.mark.django_db
def test_a_new_like_changes_the_next_recommendation_without_retraining(client_for):
    users, venues, user_taste, venue_taste = bulk_world()
    train()
    user = users[0]
    other_taste = (user_taste[0] + 1) % 3
    client = client_for(user)
    before = client.get(f"/reco/venues/{user.pk}/", {"limit": 10}).json()
    for venue in [venues[index] for index in np.flatnonzero(venue_taste == other_taste)[:15]]:
        InteractionFactory(user=user, venue=venue, interaction_type="like")
    after = client.get(f"/reco/venues/{user.pk}/", {"limit": 10}).json()
    assert [row["venue_id"] for row in after] != [row["venue_id"] for row in before]
    assert RankerVersion.objects.count() == 1


@pytest.mark.django_db
def test_friends_visits_count_for_the_learned_ranker(client_for):
    users, venues, user_taste, venue_taste = bulk_world()
    alice, bob = users[0], users[1]
    train()
    ours = client_for(alice).get(f"/reco/venues/{alice.pk}/", {"limit": 100}).json()
    assert all(row["features"]["friends_went"] == 0 for row in ours)
    SocialEdge.objects.create(user=alice, other_user=bob, strength=1.0)
    SocialEdge.objects.create(user=bob, other_user=alice, strength=1.0)  # bob added alice too
    theirs = client_for(alice).get(f"/reco/venues/{alice.pk}/", {"limit": 100}).json()
    bobs = {str(venue) for venue in Interaction.objects.filter(user=bob).values_list("venue_id", flat=True)}
    assert any(row["features"]["friends_went"] > 0 for row in theirs if row["venue_id"] in bobs)


@pytest.mark.django_db
def test_someone_who_never_added_you_back_shares_no_visits_through_friends_went(client_for):
    users, *_ = bulk_world()
    mallory, victim = users[0], users[1]
    train()
    before = client_for(mallory).get(f"/reco/venues/{mallory.pk}/", {"limit": 100}).json()

    SocialEdge.objects.create(user=mallory, other_user=victim, strength=1.0)  # one-sided: no consent
    after = client_for(mallory).get(f"/reco/venues/{mallory.pk}/", {"limit": 100}).json()

    assert all(row["features"]["friends_went"] == 0 for row in after)
    assert [without_id(row) for row in after] == [without_id(row) for row in before]


@pytest.mark.django_db
def test_an_experiment_arm_pinned_to_an_older_version_is_served_that_version(client_for):
    from experiments.assignment import experiments_changed
    from experiments.models import Experiment, ExperimentArm

    users, *_ = bulk_world()
    train()
    train("--activate-anyway")  # version 2 is active (the same data: the gate alone would keep version 1)
    experiment = Experiment.objects.create(name="old-vs-new", status="running")
    ExperimentArm.objects.create(experiment=experiment, name="new", ranker="learned", share=1, is_control=True)
    ExperimentArm.objects.create(experiment=experiment, name="old", ranker="learned", model_version=1, share=1)
    experiments_changed()
    seen = {}
    for user in users[:30]:
        body = client_for(user).get(f"/reco/venues/{user.pk}/", {"limit": 3}).json()
        seen.setdefault(body[0]["arm"], set()).update(row["model_version"] for row in body)
    assert seen == {"new": {2}, "old": {1}}
    staff = UserFactory(handle="root", is_staff=True)
    preview = client_for(staff).get(f"/reco/venues/{users[0].pk}/", {"ranker": "learned", "model_version": 1})
    assert {(row["model_version"], row["experiment"]) for row in preview.json()} == {(1, None)}


@pytest.mark.django_db
def test_an_older_version_can_be_served_again_from_the_admin(client_for):
    users, *_ = bulk_world()
    train()
    train("--activate-anyway")
    assert list(RankerVersion.objects.values_list("version", "is_active")) == [(2, True), (1, False)]
    root = UserFactory(handle="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)
    page = admin.get("/admin/recommendations/rankerversion/")
    assert page.status_code == 200
    assert "P@10" in page.content.decode()
    assert "column-passed" in page.content.decode()  # whether each version passed the gate
    first = RankerVersion.objects.get(version=1)
    admin.post("/admin/recommendations/rankerversion/", {"action": "activate", "_selected_action": [str(first.pk)]})
    assert list(RankerVersion.objects.values_list("version", "is_active")) == [(2, False), (1, True)]
    body = client_for(users[0]).get(f"/reco/venues/{users[0].pk}/", {"limit": 3}).json()
    assert {row["model_version"] for row in body} == {1}


@pytest.mark.django_db
def test_training_with_nothing_to_learn_from_is_refused():
    UserFactory()
    with pytest.raises(CommandError, match="nothing to learn from yet"):
        train()
    assert not RankerVersion.objects.exists()


@pytest.mark.django_db
def test_recommend_shows_the_learned_features_and_contributions():
    users, *_ = bulk_world()
    train()
    out = StringIO()
    call_command("recommend", users[0].handle, "--limit", "3", stdout=out)
    text = out.getvalue()
    assert "learned v1" in text
    assert "+people_like_you" in text and "near_your_places" in text


@pytest.mark.django_db
def test_an_active_version_this_code_cannot_read_leaves_the_formula_serving(client_for):
    users, *_ = bulk_world()
    train()
    unreadable = RankerVersion.objects.get()
    unreadable.artifact = _artifact_of_format(0)
    unreadable.save(update_fields=["artifact"])
    catalogue_cache.invalidate()
    client = client_for(users[0])
    body = client.get(f"/reco/venues/{users[0].pk}/", {"limit": 3})
    assert body.status_code == 200
    assert {row["ranker"] for row in body.json()} == {"formula"}
    assert client.get(f"/reco/venues/{users[0].pk}/", {"ranker": "learned"}).status_code == 409


def _wrong_arrays(artifact: bytes) -> bytes:
    """An artifact of the format this code reads, holding none of the arrays it needs."""
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(json.dumps({"format": ARTIFACT_FORMAT}).encode(), dtype=np.uint8))
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spoil, background",
    [
        (lambda artifact: b"PK\x03\x04" + b"\0" * 64, True),
        (lambda artifact: artifact[: len(artifact) // 2], True),
        (_wrong_arrays, True),
        (lambda artifact: b"PK\x03\x04" + b"\0" * 64, False),
    ],
    ids=["corrupt-zip", "truncated", "wrong-arrays", "corrupt-zip-on-the-request-path"],
)
def test_an_unreadable_version_is_refused_once_and_the_version_served_before_stays(
    client_for, settings, monkeypatch, caplog, spoil, background
):
    settings.LUNA_RECO = {**settings.LUNA_RECO, "REFRESH_IN_BACKGROUND": background}
    # The refresh runs right after the request that starts it, instead of in a thread that would not
    # see this test's rows.
    monkeypatch.setattr(catalogue_cache, "start_refresh_ahead", catalogue_cache.refresh_ahead)
    users, venues, *_ = bulk_world()
    train()
    client = client_for(users[0])
    assert {row["model_version"] for row in client.get(f"/reco/venues/{users[0].pk}/").json()} == {1}
    stored = RankerVersion.objects.get(version=1)
    spoilt = RankerVersion.objects.create(version=2, artifact=spoil(bytes(stored.artifact)), artifact_bytes=1)
    ranker_activate(version=spoilt)

    with caplog.at_level(logging.INFO, logger="recommendations.catalogue"):
        for _ in range(5):
            response = client.get(f"/reco/venues/{users[0].pk}/", {"limit": 3})
            assert response.status_code == 200
            assert {row["model_version"] for row in response.json()} == {1}
            catalogue_cache.refresh_ahead()
        venues[0].save()  # the venues are loaded again, and the active version is asked for again
        for _ in range(2):
            response = client.get(f"/reco/venues/{users[0].pk}/", {"limit": 3})
            assert {row["model_version"] for row in response.json()} == {1}

    [refused] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "Ranker version 2 cannot be read" in refused.getMessage()
    assert refused.exc_info is None  # one line, no traceback


def _artifact_of_format(number: int) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(json.dumps({"format": number}).encode(), dtype=np.uint8))
    return buffer.getvalue()


@pytest.mark.django_db
def test_the_periodic_retraining_stores_and_serves_a_new_version_daily_by_default():
    assert django_settings.CELERY_BEAT_SCHEDULE["retrain-ranker"] == {
        "task": "recommendations.retrain_ranker",
        "schedule": 86400.0,
    }
    assert "recommendations.retrain_ranker" in celery_app.tasks
    assert tasks.retrain_ranker() is None  # nothing to learn from: no version, no error
    assert not RankerVersion.objects.exists()
    bulk_world()
    assert tasks.retrain_ranker() == 1
    assert RankerVersion.objects.get().is_active


@pytest.mark.django_db
def test_a_plans_group_is_scored_by_the_active_model_as_each_member_alone(client_for):
    users, venues, *_ = bulk_world()
    train()
    organizer, friend = users[0], users[1]
    plan = PlanFactory(organizer=organizer, venue=venues[0])
    PlanParticipantFactory(plan=plan, user=organizer, status="accepted")
    PlanParticipantFactory(plan=plan, user=friend, status="invited")
    body = client_for(organizer).get(f"/plans/{plan.pk}/venue-suggestions/", {"limit": 5}).json()
    assert (body["ranker"], body["model_version"]) == ("learned", 1)
    own = {
        member.pk: {row["venue_id"]: row["score"] for row in client_for(member).get(
            f"/reco/venues/{member.pk}/", {"limit": 100}).json()}
        for member in (organizer, friend)
    }  # fmt: skip
    for suggestion in body["suggestions"]:
        for member in suggestion["members"]:
            mine = own[uuid.UUID(member["user_id"])]
            if suggestion["venue_id"] in mine:
                assert member["score"] == pytest.approx(mine[suggestion["venue_id"]], rel=1e-5, abs=1e-5)
        scores = [member["score"] for member in suggestion["members"]]
        # Each score is rounded to 6 decimals in the body, so their mean is off by up to 1e-6.
        assert suggestion["score"] == pytest.approx(sum(scores) / len(scores), rel=1e-5, abs=1e-6)


@pytest.mark.django_db
def test_a_user_without_a_home_gets_learned_venues_with_null_distances(client_for):
    users, venues, *_ = bulk_world()
    train()
    drifter = UserFactory(handle="drifter", home_lat=None, home_lng=None)
    InteractionFactory(user=drifter, venue=venues[0], interaction_type="like")
    response = client_for(drifter).get(f"/reco/venues/{drifter.pk}/", {"limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 5 and {row["ranker"] for row in body} == {"learned"}
    assert {row["distance_km"] for row in body} == {None}
    assert {row["features"]["near_home"] for row in body} == {10000.0}


def without_id(row: dict) -> dict:
    """A venue row without its answer's id, which is new on every call."""
    return {key: value for key, value in row.items() if key != "recommendation_id"}


@pytest.mark.django_db
def test_activating_another_version_swaps_the_model_without_reloading_the_venues(client_for):
    users, *_ = bulk_world()
    train()
    train("--activate-anyway")
    client = client_for(users[0])
    assert {row["model_version"] for row in client.get(f"/reco/venues/{users[0].pk}/").json()} == {2}
    loads = catalogue_cache.full_loads
    ranker_activate(version=RankerVersion.objects.get(version=1))
    assert {row["model_version"] for row in client.get(f"/reco/venues/{users[0].pk}/").json()} == {1}
    ranker_deactivate()
    assert {row["ranker"] for row in client.get(f"/reco/venues/{users[0].pk}/").json()} == {"formula"}
    assert catalogue_cache.full_loads == loads


class CountingTree:
    """A k-d tree that notes how many venues each of its queries asks for."""

    def __init__(self, tree: cKDTree) -> None:
        self.tree, self.n, self.data, self.asked = tree, tree.n, tree.data, []

    def query(self, at, k):
        self.asked.append(len(at))
        return self.tree.query(at, k=k)


def counted_nearest(seed: int, count: int) -> tuple[np.ndarray, cKDTree, CountingTree, NearestVenues]:
    """`count` random venues' points, their k-d tree, the same tree counting what it is asked, and a
    NearestVenues over the counting one."""
    rng = np.random.default_rng(seed)
    points = unit_vectors(rng.uniform(40.6, 40.9, count), rng.uniform(-74.1, -73.8, count))
    truth = cKDTree(points)
    tree = CountingTree(truth)
    return points, truth, tree, NearestVenues(tree)


def test_the_venues_nearest_each_venue_are_the_trees_answer_asked_once_per_venue():
    points, truth, tree, nearest = counted_nearest(3, 60)
    venues = np.array([5, 17, 5, 42])
    assert np.array_equal(nearest.of(venues, 4), truth.query(points[venues], k=4)[1])
    assert tree.asked == [3]  # venue 5 once
    assert np.array_equal(nearest.of(np.array([42, 17, 0]), 4), truth.query(points[[42, 17, 0]], k=4)[1])
    assert tree.asked == [3, 1]  # only venue 0 is new
    assert np.array_equal(nearest.of(np.array([42]), 2), truth.query(points[[42]], k=2)[1])  # another k: asked again
    assert tree.asked == [3, 1, 1]
    with pytest.raises(ValueError, match="1 to 60"):
        nearest.of(venues, 61)  # more than there are: the tree would pad with a position that is no venue


def test_the_venues_nearest_each_venue_filled_ahead_are_the_trees_answer_and_never_asked_again():
    points, truth, tree, nearest = counted_nearest(4, 30)
    nearest.of(np.array([3]), 5)
    nearest.fill(5)
    assert tree.asked == [1, 29]  # every venue but the one asked already
    nearest.fill(5)
    assert np.array_equal(nearest.of(np.arange(30), 5), truth.query(points, k=5)[1])
    assert tree.asked == [1, 29]
    with pytest.raises(ValueError, match="1 to 30"):
        nearest.fill(31)


@pytest.mark.django_db
def test_after_the_warm_up_a_learned_recommendation_asks_the_tree_for_no_venues_nearest(client_for):
    users, *_ = bulk_world()
    train()
    catalogue = recommendations_warm()
    tree = catalogue.venue_nearest.tree = CountingTree(catalogue.venue_nearest.tree)
    for user in users[:5]:
        response = client_for(user).get(f"/reco/venues/{user.pk}/", {"limit": 10})
        assert response.status_code == 200 and {row["ranker"] for row in response.json()} == {"learned"}
    assert tree.asked == []


@pytest.mark.django_db
def test_the_warm_up_with_a_model_active_and_no_venues_left_loads_an_empty_catalogue(caplog):
    bulk_world()
    train()
    Venue.objects.all().delete()
    catalogue_cache.invalidate()
    catalogue = recommendations_warm()
    assert catalogue is not None and catalogue.size == 0
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


@pytest.mark.parametrize("size, count", [(5, 10), (50, 10), (3000, 100), (3000, 1), (50, 0), (0, 5)])
def test_the_largest_values_are_those_a_full_sort_picks_ties_to_the_first(size, count):
    values = np.random.default_rng(size + count).integers(0, 20, size).astype(np.float64)  # many ties
    expected = np.sort(np.argsort(-values, kind="stable")[:count])
    assert np.array_equal(_largest(values, count), expected)


def test_float16_factors_widen_to_float32_exactly_for_every_finite_value():
    half = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    half = half[np.isfinite(half)].reshape(-1, 2)  # every finite bit pattern, zeros and subnormals too
    assert np.array_equal(widened(half).view(np.uint32), half.astype(np.float32).view(np.uint32))
    with pytest.raises(TypeError, match="float16"):
        widened(half.astype(np.float32))


def test_factors_beyond_float16_are_refused_rather_than_kept_as_infinities():
    with pytest.raises(ValueError, match="float16"):
        factors_of(np.full((3, 2), 7e4, dtype=np.float32), 1.0, 1.0, first=False)


def _with_inputs(artifact: bytes, inputs: list[str]) -> bytes:
    """The same artifact, saying its weights are for these inputs."""
    stored = np.load(io.BytesIO(artifact))
    arrays = {name: stored[name] for name in stored.files}
    meta = {**json.loads(arrays.pop("meta").tobytes()), "inputs": inputs}
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    return buffer.getvalue()


@pytest.mark.django_db
def test_an_active_version_weighing_other_inputs_leaves_the_formula_serving_and_says_so_once(client_for, caplog):
    users, *_ = bulk_world()
    train()
    stored = RankerVersion.objects.get()
    stored.artifact = _with_inputs(bytes(stored.artifact), [*INPUT_NAMES, "new_signal:scaled", "new_signal:log"])
    stored.save(update_fields=["artifact"])
    catalogue_cache.invalidate()
    client = client_for(users[0])
    with caplog.at_level(logging.INFO, logger="recommendations.catalogue"):
        for _ in range(3):
            body = client.get(f"/reco/venues/{users[0].pk}/", {"limit": 3})
            assert body.status_code == 200
            assert {(row["ranker"], row["model_version"]) for row in body.json()} == {("formula", None)}
            catalogue_cache.refresh_ahead()
    [refused] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "Ranker version 1 cannot be read (IncompatibleArtifact" in refused.getMessage()
    assert "unknown: new_signal:log, new_signal:scaled" in refused.getMessage()
