"""A/B experiments between rankers: who gets which arm, what the API serves and records, what the users'
interactions and plans are attributed to, the report, pruning, and the admin's buttons and audit trail."""

from __future__ import annotations

import io
import json
import math
import random
import uuid
from datetime import timedelta
from statistics import NormalDist

import numpy as np
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from scipy import stats

from experiments.assignment import GENERATION_CACHE_KEY, Arm, RunningExperiment, running_experiment
from experiments.models import Experiment, ExperimentArm, ExperimentChange, Impression, Outcome
from experiments.report import arm_figures, cumulative_click_through, mean_interval, two_proportion_p, verdict, welch_p
from experiments.services import ExperimentError, experiment_start, experiment_stop
from luna.tests.caches import cache_down
from plans.models import Plan
from users.models import User
from users.tests.factories import UserFactory
from venues.models import Interaction
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

RANKER_OF_ARM = {"control": "formula", "treat": "popularity"}


@pytest.fixture
def venues():
    """Ten venues within a few hundred metres of the factory users' home."""
    return [VenueFactory(lat=40.7306 + 0.001 * i, lng=-73.9352 - 0.001 * i) for i in range(10)]


@pytest.fixture
def boss():
    return UserFactory(handle="boss", name="The Boss", is_staff=True, is_superuser=True)


def make_experiment(name="ranker-test", arms=(("control", "formula", 50, True), ("treat", "popularity", 50, False))):
    experiment = Experiment.objects.create(name=name)
    for arm_name, ranker, share, is_control in arms:
        ExperimentArm.objects.create(
            experiment=experiment, name=arm_name, ranker=ranker, share=share, is_control=is_control
        )
    return experiment


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """Start (or stop) through the service, running what it leaves for the commit (the cache's invalidation)."""

    def run(service, experiment, by):
        with django_capture_on_commit_callbacks(execute=True):
            return service(experiment=experiment, by=by)

    return run


def recommend(client_for, user, **query):
    response = client_for(user).get(f"/reco/venues/{user.pk}/", {"limit": 10, **query})
    assert response.status_code == 200, response.content
    return response.json()


# --- 1. who gets which arm ----------------------------------------------------------------------------------


def uuids(count: int, seed: int = 7) -> list[uuid.UUID]:
    rng = random.Random(seed)
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]


ONE_TO_THREE = RunningExperiment(
    id=11,
    name="split",
    arms=(Arm("a", "formula", None, 1, True), Arm("b", "popularity", None, 3, False)),
)


def test_a_users_arm_is_the_same_every_time_and_depends_on_the_experiment_and_the_user():
    people = uuids(200)
    first = [ONE_TO_THREE.arm_for(user).name for user in people]
    assert [ONE_TO_THREE.arm_for(user).name for user in people] == first
    # A fresh object for the same experiment (another process) agrees.
    same = RunningExperiment(id=11, name="split", arms=ONE_TO_THREE.arms)
    assert [same.arm_for(user).name for user in people] == first
    assert set(first) == {"a", "b"}  # users differ
    other = RunningExperiment(id=12, name="split", arms=ONE_TO_THREE.arms)
    assert [other.arm_for(user).name for user in people] != first  # another experiment splits anew


def test_shares_of_one_to_three_put_a_quarter_of_the_users_in_the_first_arm():
    people = uuids(2_000, seed=1)
    in_a = sum(ONE_TO_THREE.arm_for(user).name == "a" for user in people)
    assert 0.22 <= in_a / len(people) <= 0.28
    # Ten times the weights is the same split, user by user.
    scaled = RunningExperiment(
        id=11,
        name="split",
        arms=tuple(Arm(a.name, a.ranker, None, 10 * a.share, a.is_control) for a in ONE_TO_THREE.arms),
    )
    assert [scaled.arm_for(user).name for user in people] == [ONE_TO_THREE.arm_for(user).name for user in people]


def test_an_arm_with_share_zero_is_left_out_of_the_running_experiment(start, boss):
    experiment = make_experiment(
        arms=(("control", "formula", 50, True), ("off", "distance", 0, False), ("treat", "popularity", 50, False))
    )
    assert running_experiment() is None
    start(experiment_start, experiment, boss)
    running = running_experiment()
    assert (running.id, running.name) == (experiment.pk, experiment.name)
    assert [arm.name for arm in running.arms] == ["control", "treat"]
    assert {running.arm_for(user).name for user in uuids(1_000)} == {"control", "treat"}


# --- 2. starting and stopping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arms, message",
    [
        ((("control", "formula", 50, True),), "at least two arms"),
        ((("a", "formula", 50, False), ("b", "popularity", 50, False)), "Exactly one arm must be the control"),
        ((("a", "formula", 0, True), ("b", "popularity", 0, False)), "traffic share above 0"),
    ],
    ids=["one-arm", "no-control", "no-traffic"],
)
def test_an_experiment_without_two_arms_and_one_control_does_not_start(start, boss, arms, message):
    experiment = make_experiment(arms=arms)
    with pytest.raises(ExperimentError, match=message):
        start(experiment_start, experiment, boss)
    experiment.refresh_from_db()
    assert (experiment.status, experiment.started_at) == (Experiment.Status.DRAFT, None)
    assert not ExperimentChange.objects.exists()
    assert running_experiment() is None


def test_only_one_experiment_runs_at_a_time(start, boss):
    first, second = make_experiment("first"), make_experiment("second")
    start(experiment_start, first, boss)
    with pytest.raises(ExperimentError, match="first is running"):
        start(experiment_start, second, boss)
    second.refresh_from_db()
    assert second.status == Experiment.Status.DRAFT
    assert list(Experiment.objects.filter(status="running").values_list("name", flat=True)) == ["first"]
    assert not ExperimentChange.objects.filter(experiment=second).exists()


def test_start_and_stop_are_recorded_with_who_did_them(start, boss, staff):
    experiment = make_experiment()
    before = timezone.now()
    start(experiment_start, experiment, boss)
    start(experiment_stop, experiment, staff)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED
    assert before <= experiment.started_at <= experiment.stopped_at <= timezone.now()
    changes = list(ExperimentChange.objects.filter(experiment=experiment).order_by("id"))
    assert [(change.action, change.user) for change in changes] == [("start", boss), ("stop", staff)]
    assert changes[0].detail["arms"]["treat"] == {
        "ranker": "popularity",
        "model_version": None,
        "share": 50,
        "control": False,
    }
    assert running_experiment() is None
    # A stopped experiment stays stopped; a draft cannot be stopped.
    with pytest.raises(ExperimentError, match="Only a draft"):
        start(experiment_start, experiment, boss)
    with pytest.raises(ExperimentError, match="Only a running"):
        start(experiment_stop, make_experiment("draft"), boss)
    assert ExperimentChange.objects.count() == 2


# --- 3. serving through the API ------------------------------------------------------------------------------


def users_in_each_arm(running: RunningExperiment) -> dict[str, object]:
    found = {}
    for _ in range(60):
        user = UserFactory()
        found.setdefault(running.arm_for(user.pk).name, user)
        if len(found) == len(running.arms):
            return found
    raise AssertionError(f"60 users and still not every arm: {sorted(found)}")


def test_each_user_is_served_and_recorded_in_their_arm(client_for, start, boss, venues):
    experiment = make_experiment()
    before = recommend(client_for, boss)
    assert {(row["experiment"], row["arm"], row["ranker"]) for row in before} == {(None, None, "formula")}
    start(experiment_start, experiment, boss)  # the process read "nothing running" a moment ago

    for arm, user in users_in_each_arm(running_experiment()).items():
        for _ in range(2):
            body = recommend(client_for, user)
            assert len(body) == 10
            assert {(row["experiment"], row["arm"], row["ranker"]) for row in body} == {
                (experiment.name, arm, RANKER_OF_ARM[arm])
            }
        shown = Impression.objects.filter(user=user)
        assert shown.count() == 20
        assert set(shown.values_list("experiment_id", "arm", "ranker")) == {(experiment.pk, arm, RANKER_OF_ARM[arm])}


def test_asking_for_a_ranker_is_served_outside_the_experiment(client_for, start, boss, alice, venues):
    start(experiment_start, make_experiment(), boss)
    body = recommend(client_for, alice, ranker="distance")
    assert {(row["experiment"], row["arm"], row["ranker"]) for row in body} == {(None, None, "distance")}
    assert set(Impression.objects.filter(user=alice).values_list("experiment_id", "arm", "ranker")) == {
        (None, "", "distance")
    }


def test_once_stopped_nobody_is_in_the_experiment(client_for, start, boss, alice, venues):
    experiment = make_experiment()
    start(experiment_start, experiment, boss)
    assert {row["experiment"] for row in recommend(client_for, alice)} == {experiment.name}
    start(experiment_stop, experiment, boss)
    body = recommend(client_for, alice)
    assert {(row["experiment"], row["arm"], row["ranker"]) for row in body} == {(None, None, "formula")}
    latest = Impression.objects.filter(recommendation_id=body[0]["recommendation_id"])
    assert set(latest.values_list("experiment_id", "arm")) == {(None, "")}


def test_with_the_cache_down_users_stay_in_the_arm_the_process_last_read(client_for, start, boss, alice, venues):
    experiment = make_experiment()
    start(experiment_start, experiment, boss)
    arm = running_experiment().arm_for(alice.pk).name
    with cache_down:
        body = recommend(client_for, alice)
    assert {(row["experiment"], row["arm"], row["ranker"]) for row in body} == {
        (experiment.name, arm, RANKER_OF_ARM[arm])
    }


def test_a_lost_mark_makes_the_process_read_the_experiment_again(client_for, start, boss, alice, venues):
    experiment = make_experiment()
    assert running_experiment() is None
    # Started without telling the processes (the commit hook's mark not replaced), then the mark is lost.
    experiment_start(experiment=experiment, by=boss)
    assert running_experiment() is None  # what the process read, while the mark stays
    cache.delete(GENERATION_CACHE_KEY)
    assert {row["experiment"] for row in recommend(client_for, alice)} == {experiment.name}


# --- 4. attribution ------------------------------------------------------------------------------------------


def interact(client_for, user, venue_id, kind="like", **extra):
    return client_for(user).post(
        f"/venues/{venue_id}/interactions/", {"interaction_type": kind, **extra}, format="json"
    )


def test_an_interaction_goes_to_the_latest_impression_of_the_venue(client_for, alice, venues):
    first = recommend(client_for, alice)
    second = recommend(client_for, alice)
    venue_id = first[0]["venue_id"]
    assert interact(client_for, alice, venue_id).status_code == 201
    outcome = Outcome.objects.get()
    assert (outcome.kind, outcome.sent_by_client) == ("like", False)
    assert str(outcome.impression.recommendation_id) == second[0]["recommendation_id"]
    assert (outcome.impression.user_id, str(outcome.impression.venue_id)) == (alice.pk, venue_id)


def test_an_interaction_naming_its_recommendation_goes_to_that_one(client_for, alice, venues):
    first = recommend(client_for, alice)
    recommend(client_for, alice)
    venue_id = first[3]["venue_id"]
    response = interact(client_for, alice, venue_id, "interest", recommendation_id=first[0]["recommendation_id"])
    assert response.status_code == 201
    outcome = Outcome.objects.get()
    assert (outcome.kind, outcome.sent_by_client) == ("interest", True)
    assert str(outcome.impression.recommendation_id) == first[0]["recommendation_id"]
    assert str(outcome.impression.venue_id) == venue_id


def test_naming_a_recommendation_that_did_not_show_the_venue_falls_back_to_the_latest(client_for, alice, venues):
    body = recommend(client_for, alice)
    response = interact(client_for, alice, body[1]["venue_id"], recommendation_id=str(uuid.uuid4()))
    assert response.status_code == 201
    outcome = Outcome.objects.get()
    assert (str(outcome.impression.recommendation_id), outcome.sent_by_client) == (body[0]["recommendation_id"], False)


def test_a_view_is_an_outcome_of_kind_view(client_for, alice, venues):
    body = recommend(client_for, alice)
    assert interact(client_for, alice, body[2]["venue_id"], "view").status_code == 201
    assert list(Outcome.objects.values_list("kind", "impression__rank")) == [("view", 3)]


def test_a_venue_never_shown_or_shown_to_someone_else_gets_no_outcome(client_for, alice, bob, venues):
    body = recommend(client_for, alice, limit=3)
    shown = {row["venue_id"] for row in body}
    unseen = next(venue for venue in venues if str(venue.pk) not in shown)
    assert interact(client_for, alice, unseen.pk).status_code == 201
    assert interact(client_for, bob, body[0]["venue_id"]).status_code == 201
    assert Interaction.objects.count() == 2
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("hours_ago, attributed", [(23, True), (25, False)])
def test_only_interactions_within_the_window_are_attributed(client_for, alice, venues, hours_ago, attributed):
    body = recommend(client_for, alice)
    Impression.objects.update(created_at=timezone.now() - timedelta(hours=hours_ago))
    assert interact(client_for, alice, body[0]["venue_id"]).status_code == 201
    assert Outcome.objects.exists() is attributed


def test_the_window_follows_the_setting(client_for, alice, venues, settings):
    settings.LUNA_ATTRIBUTION_WINDOW_HOURS = 1
    body = recommend(client_for, alice)
    Impression.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert interact(client_for, alice, body[0]["venue_id"]).status_code == 201
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("sent", ["not-a-uuid", 123, True], ids=["text", "number", "boolean"])
def test_a_malformed_recommendation_id_is_refused_and_nothing_is_stored(client_for, alice, venues, sent):
    body = recommend(client_for, alice)
    response = interact(client_for, alice, body[0]["venue_id"], recommendation_id=sent)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "recommendation_id" in response.json()
    assert not Interaction.objects.exists()
    assert not Outcome.objects.exists()


def test_a_plan_for_a_shown_venue_is_an_outcome_of_kind_plan(client_for, alice, venues):
    body = recommend(client_for, alice)
    start_time = (timezone.now() + timedelta(days=2)).isoformat()
    payload = {
        "venue_id": body[4]["venue_id"],
        "start_time": start_time,
        "recommendation_id": body[0]["recommendation_id"],
    }
    response = client_for(alice).post("/plans/", payload, format="json")
    assert response.status_code == 201, response.content
    outcome = Outcome.objects.get()
    assert (outcome.kind, outcome.sent_by_client, str(outcome.impression.venue_id)) == (
        "plan",
        True,
        body[4]["venue_id"],
    )
    assert str(outcome.impression.recommendation_id) == body[0]["recommendation_id"]


def test_a_plan_for_a_venue_never_shown_gets_no_outcome(client_for, alice, venues):
    body = recommend(client_for, alice, limit=2)
    shown = {row["venue_id"] for row in body}
    unseen = next(venue for venue in venues if str(venue.pk) not in shown)
    start_time = (timezone.now() + timedelta(days=2)).isoformat()
    response = client_for(alice).post("/plans/", {"venue_id": str(unseen.pk), "start_time": start_time}, format="json")
    assert response.status_code == 201
    assert Plan.objects.count() == 1
    assert not Outcome.objects.exists()


# --- 5. the report -------------------------------------------------------------------------------------------


def plant(experiment, arm: str, *, impressions: int, clicks: int, users, venue, at=None, extra_kinds=()) -> list:
    """`impressions` impressions in `arm`, the first `clicks` followed by a like; `extra_kinds` lists
    (index, kind) of further outcomes."""
    at = at or timezone.now() - timedelta(hours=1)
    rows = Impression.objects.bulk_create(
        Impression(
            recommendation_id=uuid.uuid4(),
            user=users[index % len(users)],
            venue=venue,
            rank=1,
            ranker="formula",
            experiment=experiment,
            arm=arm,
            created_at=at - timedelta(minutes=index % 120),
        )
        for index in range(impressions)
    )
    outcomes = [Outcome(impression=rows[index], kind="like", created_at=at) for index in range(clicks)]
    outcomes += [Outcome(impression=rows[index], kind=kind, created_at=at) for index, kind in extra_kinds]
    Outcome.objects.bulk_create(outcomes)
    return rows


@pytest.fixture
def people():
    return UserFactory.create_batch(4)


def test_arm_figures_count_impressions_clicks_views_and_plans(people):
    experiment = make_experiment()
    venue = VenueFactory()
    # control: 4 impressions by 2 users; the first liked and marked interesting (one click), one viewed, one planned.
    plant(
        experiment, "control", impressions=4, clicks=1, users=people[:2], venue=venue,
        extra_kinds=[(0, "interest"), (1, "view"), (2, "plan")],
    )  # fmt: skip
    # treat: 3 impressions by 3 users, two clicks (an interest, a like), one view.
    plant(
        experiment, "treat", impressions=3, clicks=1, users=people[:3], venue=venue,
        extra_kinds=[(1, "interest"), (2, "view")],
    )  # fmt: skip
    # Shown outside the experiment, and in another experiment: not counted.
    plant(None, "", impressions=5, clicks=5, users=people, venue=venue)
    plant(make_experiment("other"), "control", impressions=5, clicks=5, users=people, venue=venue)

    figures = {arm.name: arm for arm in arm_figures(experiment)}
    control, treat = figures["control"], figures["treat"]
    assert (control.is_control, control.ranker, treat.ranker) == (True, "formula", "popularity")
    counts = [(arm.users, arm.impressions, arm.clicks, arm.views, arm.plans) for arm in (control, treat)]
    assert counts == [(2, 4, 1, 1, 1), (3, 3, 2, 1, 0)]
    assert control.click_through == pytest.approx(0.25)
    assert treat.click_through == pytest.approx(2 / 3)
    assert control.plans_per_1000 == pytest.approx(250)
    assert (control.lift, control.p_value) == (None, None)
    assert treat.lift == pytest.approx((2 / 3) / 0.25 - 1)
    assert 0.05 < treat.p_value < 1  # seven impressions prove nothing
    for arm in (control, treat):
        low, high = arm.click_through_ci
        assert 0 <= low < arm.click_through < high <= 1


def test_the_p_value_takes_users_as_the_unit(people):
    """The same impressions and clicks are stronger evidence spread over many users than piled on a few:
    a user's impressions are not independent of each other."""
    venue = VenueFactory()
    crowd = people + UserFactory.create_batch(16)  # 20 users, 20 impressions each per arm (user = index % 20)
    p_values = {}
    for how in ("spread", "piled"):
        experiment = make_experiment(f"unit-{how}")
        control = plant(experiment, "control", impressions=400, clicks=0, users=crowd, venue=venue)
        treat = plant(experiment, "treat", impressions=400, clicks=0, users=crowd, venue=venue)
        # control: 20 clicks, 2 for each of users 0-9. treat: 40 clicks, 3 for each of users 0-9 and 1 for
        # each of users 10-19 (spread), or 20 for each of users 0 and 1 (piled).
        clicked = control[:10] + control[20:30]
        if how == "spread":
            clicked += treat[:30] + treat[40:50]
        else:
            clicked += [row for row in treat if row.user_id in (crowd[0].pk, crowd[1].pk)]
        Outcome.objects.bulk_create(Outcome(impression=row, kind="like", created_at=timezone.now()) for row in clicked)
        figures = {arm.name: arm for arm in arm_figures(experiment)}
        assert [(arm.impressions, arm.clicks) for arm in figures.values()] == [(400, 20), (400, 40)]
        p_values[how] = figures["treat"].p_value
    assert p_values["spread"] < 0.05 < p_values["piled"]


def test_the_statistics_match_known_values():
    # The mean of per-user values and its t-interval: 5 of 10 users at 1, 5 at 0: 0.5 +- t(0.975, 9) x
    # sqrt(0.2778 / 10) = 0.5 +- 2.2622 x 0.16667 = 0.5 +- 0.3770.
    mean, _, half = mean_interval(np.r_[np.ones(5), np.zeros(5)])
    assert (mean, half) == (0.5, pytest.approx(0.3770, abs=1e-4))
    assert mean_interval(np.zeros(1))[2] == math.inf  # one user: no interval
    # Welch's t-test as scipy computes it.
    control, treat = np.array([0.1, 0.0, 0.2, 0.1, 0.0, 0.3]), np.array([0.3, 0.2, 0.4, 0.1, 0.5])
    assert welch_p(control, treat) == pytest.approx(stats.ttest_ind(treat, control, equal_var=False).pvalue)
    assert welch_p(np.full(5, 0.1), np.full(5, 0.1)) == 1.0
    # 45/1500 against 135/1500: z = 6.93.
    assert two_proportion_p(45, 1500, 135, 1500) == pytest.approx(2 * (1 - NormalDist().cdf(6.9338)), rel=0.01)
    assert two_proportion_p(30, 1000, 30, 1000) == pytest.approx(1.0)
    assert two_proportion_p(0, 0, 5, 10) == 1.0


def crowd(count: int) -> list:
    """`count` users stored at once (the report only needs them to exist)."""
    return User.objects.bulk_create(UserFactory.build_batch(count, password="!"))


def plant_users(experiment, arm: str, users, *, impressions_each: int, clicks_of, venue) -> None:
    """Each user shown `impressions_each` impressions in `arm`, the first clicks_of(index) of them liked."""
    at = timezone.now() - timedelta(hours=1)
    for index, user in enumerate(users):
        plant(
            experiment, arm, impressions=impressions_each, clicks=clicks_of(index), users=[user], venue=venue,
            at=at,
        )  # fmt: skip


def test_no_verdict_before_every_arm_has_enough_users_however_many_impressions(people):
    experiment = make_experiment()
    venue = VenueFactory()
    plant(experiment, "control", impressions=1500, clicks=45, users=people, venue=venue)
    plant(experiment, "treat", impressions=1500, clicks=600, users=people, venue=venue)
    said = verdict(arm_figures(experiment))
    assert said.startswith("not enough data yet: every arm needs 100 users")
    assert "control 4/100, treat 4/100" in said


def test_the_minimum_number_of_users_follows_the_setting(people, settings):
    experiment = make_experiment()
    venue = VenueFactory()
    plant_users(experiment, "control", crowd(30), impressions_each=10, clicks_of=lambda i: i % 3, venue=venue)
    plant_users(experiment, "treat", crowd(30), impressions_each=10, clicks_of=lambda i: i % 3 + 3, venue=venue)
    assert verdict(arm_figures(experiment)).startswith("not enough data yet: every arm needs 100 users")
    settings.LUNA_EXPERIMENT_MIN_USERS = 30
    assert verdict(arm_figures(experiment)).startswith("winner: treat")


@pytest.fixture
def planted():
    """120 users per arm, 10 impressions each: in the control users click 0, 1 or 2 of them (10 % on
    average), in treat 1, 2 or 3 (20 %)."""
    experiment = make_experiment("big-difference")
    venue = VenueFactory()
    plant_users(experiment, "control", crowd(120), impressions_each=10, clicks_of=lambda i: i % 3, venue=venue)
    plant_users(experiment, "treat", crowd(120), impressions_each=10, clicks_of=lambda i: i % 3 + 1, venue=venue)
    return experiment


def test_a_real_difference_among_enough_users_names_the_winner(planted):
    figures = {arm.name: arm for arm in arm_figures(planted)}
    assert [(arm.users, arm.impressions, arm.clicks) for arm in figures.values()] == [
        (120, 1200, 120),
        (120, 1200, 240),
    ]
    assert figures["treat"].click_through == pytest.approx(0.2)
    said = verdict(list(figures.values()))
    assert said.startswith("winner: treat (+100.0% click-through against control")


def test_two_accounts_cannot_manufacture_a_winner(people):
    """mallory (in treat) asks for one venue at a time and likes each, naming its recommendation_id; oscar
    (in the control) asks for 100 venues three times and likes none. The arms' 100 genuine users each
    act on one in ten of what they are shown."""
    experiment = make_experiment()
    venue = VenueFactory()
    plant_users(experiment, "control", crowd(100), impressions_each=10, clicks_of=lambda i: 1, venue=venue)
    plant_users(experiment, "treat", crowd(100), impressions_each=10, clicks_of=lambda i: 1, venue=venue)
    mallory, oscar = UserFactory(handle="mallory"), UserFactory(handle="oscar")
    plant(experiment, "treat", impressions=2000, clicks=2000, users=[mallory], venue=venue)
    plant(experiment, "control", impressions=300, clicks=0, users=[oscar], venue=venue)

    figures = {arm.name: arm for arm in arm_figures(experiment)}
    said = verdict(list(figures.values()))
    assert said.startswith("no winner: no arm differs from control"), said
    assert (figures["control"].users, figures["treat"].users) == (101, 101)
    # One account is one user of 101: its arm's click-through moves by at most 1/101.
    assert figures["treat"].click_through == pytest.approx((100 * 0.1 + 1) / 101)
    assert figures["treat"].p_value > 0.05
    # The plot draws the same figure.
    assert cumulative_click_through(experiment)["treat"][-1][1] == pytest.approx(figures["treat"].click_through)


def someone_in(arm: str, handle: str):
    """A new user whom the running experiment puts in `arm`."""
    experiment = running_experiment()
    while True:
        user = UserFactory(handle=f"{handle}{uuid.uuid4().hex[:6]}")
        if experiment.arm_for(user.pk).name == arm:
            return user


@pytest.mark.slow
def test_through_the_api_two_accounts_get_no_winner_and_one_is_throttled(client_for, start, boss, venues):
    experiment = make_experiment()
    start(experiment_start, experiment, boss)
    plant_users(experiment, "control", crowd(100), impressions_each=10, clicks_of=lambda i: 1, venue=venues[0])
    plant_users(experiment, "treat", crowd(100), impressions_each=10, clicks_of=lambda i: 1, venue=venues[0])
    mallory, oscar = someone_in("treat", "mallory"), someone_in("control", "oscar")
    # mallory asks for one venue at a time and likes it, naming the answer, as often as she is allowed to.
    for _ in range(60):
        shown = recommend(client_for, mallory, limit=1)[0]
        liked = interact(client_for, mallory, shown["venue_id"], recommendation_id=shown["recommendation_id"])
        assert liked.status_code == 201
    assert client_for(mallory).get(f"/reco/venues/{mallory.pk}/", {"limit": 1}).status_code == 429
    for _ in range(3):
        recommend(client_for, oscar, limit=100)

    figures = {arm.name: arm for arm in arm_figures(experiment)}
    assert (figures["treat"].impressions, figures["treat"].clicks) == (1060, 160)
    assert verdict(list(figures.values())).startswith("no winner")


def test_the_report_command_prints_the_table_and_writes_the_plot_and_the_figures(planted, tmp_path):
    out = io.StringIO()
    call_command("experiment_report", planted.name, "--out", str(tmp_path), stdout=out)
    printed = out.getvalue()
    lines = printed.splitlines()
    assert any(line.split()[:4] == ["control", "formula", "120", "1,200"] for line in lines)
    assert any(line.split()[:5] == ["treat", "popularity", "120", "1,200", "20.00%"] for line in lines)
    assert any(line.startswith("verdict: winner: treat") for line in lines)
    assert (tmp_path / "big-difference.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    figures = json.loads((tmp_path / "big-difference.json").read_text())
    assert figures["experiment"] == "big-difference"
    assert figures["verdict"].startswith("winner: treat")
    assert [(arm["name"], arm["impressions"], arm["clicks"]) for arm in figures["arms"]] == [
        ("control", 1200, 120),
        ("treat", 1200, 240),
    ]
    assert [arm["users"] for arm in figures["arms"]] == [120, 120]


def test_the_report_command_takes_a_minimum_number_of_users(planted, tmp_path):
    out = io.StringIO()
    call_command("experiment_report", planted.name, "--out", str(tmp_path), "--min-users", "121", stdout=out)
    assert "verdict: not enough data yet: every arm needs 121 users (control 120/121, treat 120/121)" in out.getvalue()
    with pytest.raises(CommandError, match="--min-users must be at least 2"):
        call_command("experiment_report", planted.name, "--out", str(tmp_path), "--min-users", "1", stdout=out)


def test_the_report_of_an_unknown_experiment_names_those_there_are(planted, tmp_path):
    make_experiment("another-one")
    with pytest.raises(CommandError) as error:
        call_command("experiment_report", "nope", "--out", str(tmp_path), stdout=io.StringIO())
    assert "nope" in str(error.value)
    assert "big-difference" in str(error.value) and "another-one" in str(error.value)
    assert not list(tmp_path.iterdir())


# --- 6. pruning ----------------------------------------------------------------------------------------------


def test_prune_deletes_old_impressions_with_their_outcomes_and_keeps_the_rest(people):
    venue = VenueFactory()
    old = plant(None, "", impressions=3, clicks=2, users=people, venue=venue, at=timezone.now() - timedelta(days=91))
    new = plant(None, "", impressions=2, clicks=1, users=people, venue=venue, at=timezone.now() - timedelta(days=89))
    out = io.StringIO()
    call_command("prune_impressions", "--older-than", "90d", stdout=out, stderr=io.StringIO())
    assert "Deleted 3 impressions" in out.getvalue()
    assert set(Impression.objects.values_list("id", flat=True)) == {row.id for row in new}
    assert not Outcome.objects.filter(impression_id__in=[row.id for row in old]).exists()
    assert Outcome.objects.count() == 1


def test_prune_refuses_a_duration_it_does_not_understand(people):
    plant(
        None, "", impressions=2, clicks=0, users=people, venue=VenueFactory(), at=timezone.now() - timedelta(days=400)
    )
    for bad in ("2x", "0d", "d"):
        with pytest.raises(CommandError, match="not a duration"):
            call_command("prune_impressions", "--older-than", bad, stdout=io.StringIO())
    assert Impression.objects.count() == 2


def test_prune_in_batches_of_one(people):
    venue = VenueFactory()
    plant(None, "", impressions=3, clicks=3, users=people, venue=venue, at=timezone.now() - timedelta(hours=13))
    plant(None, "", impressions=1, clicks=0, users=people, venue=venue, at=timezone.now() - timedelta(hours=11))
    out, progress = io.StringIO(), io.StringIO()
    call_command("prune_impressions", "--older-than", "12h", "--batch", "1", stdout=out, stderr=progress)
    assert "Deleted 3 impressions older than 12h" in out.getvalue()
    assert [line.strip() for line in progress.getvalue().splitlines()] == ["1 deleted", "2 deleted", "3 deleted"]
    assert Impression.objects.count() == 1
    assert not Outcome.objects.exists()


# --- 7. the admin --------------------------------------------------------------------------------------------


@pytest.fixture
def admin(client, boss):
    client.force_login(boss)
    return client


def change_url(experiment) -> str:
    return reverse("admin:experiments_experiment_change", args=[experiment.pk])


def test_the_change_page_shows_the_report_and_its_verdict(admin, planted):
    response = admin.get(change_url(planted))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2>Report</h2>" in page
    assert escape(verdict(arm_figures(planted))) in page
    assert "<td>120</td><td>1200</td>" in page  # users and impressions of each arm
    assert "no verdict before every arm has 100 users" in page
    assert "data:image/png;base64," in page
    assert reverse("admin:experiments_experiment_start", args=[planted.pk]) in page


def test_the_start_button_starts_a_draft_and_the_stop_button_stops_it(admin, boss):
    experiment = make_experiment()
    start_url = reverse("admin:experiments_experiment_start", args=[experiment.pk])
    assert admin.get(start_url).status_code == 405
    response = admin.post(start_url)
    assert (response.status_code, response["Location"]) == (302, change_url(experiment))
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.RUNNING
    assert list(ExperimentChange.objects.values_list("action", "user")) == [("start", boss.pk)]

    response = admin.post(reverse("admin:experiments_experiment_stop", args=[experiment.pk]))
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED
    assert set(ExperimentChange.objects.values_list("action", "user")) == {("start", boss.pk), ("stop", boss.pk)}


def test_the_start_button_on_an_invalid_experiment_shows_why_and_leaves_it_a_draft(admin):
    experiment = make_experiment(arms=(("control", "formula", 50, True),))
    response = admin.post(reverse("admin:experiments_experiment_start", args=[experiment.pk]), follow=True)
    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == ["An experiment needs at least two arms."]
    assert "An experiment needs at least two arms." in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.DRAFT
    assert not ExperimentChange.objects.exists()


def test_staff_who_are_not_allowed_to_change_experiments_cannot_start_them(client, staff):
    experiment = make_experiment()
    client.force_login(staff)
    response = client.post(reverse("admin:experiments_experiment_start", args=[experiment.pk]))
    assert response.status_code in (403, 404)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.DRAFT


def change_form_data(page) -> dict:
    """What the browser would post back for the change page as it is."""
    form = page.context["adminform"].form
    data = {}

    def add(bound) -> None:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else str(value)

    for name in form.fields:
        add(form[name])
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for each in formset.forms:
            for name in each.fields:
                add(each[name])
    return data


def test_changing_a_running_experiments_shares_in_the_admin_is_audited(admin, boss, start):
    experiment = make_experiment()
    start(experiment_start, experiment, boss)
    page = admin.get(change_url(experiment))
    data = change_form_data(page)
    treat = experiment.arms.get(name="treat")
    prefix = next(
        inline.formset.prefix
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is ExperimentArm
    )
    assert prefix == "arms"
    index = next(i for i in range(2) if data[f"arms-{i}-id"] == str(treat.pk))
    assert data[f"arms-{index}-share"] == "50"
    data[f"arms-{index}-share"] = "150"

    response = admin.post(change_url(experiment), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    treat.refresh_from_db()
    assert treat.share == 150
    change = ExperimentChange.objects.filter(experiment=experiment, action="arms").get()
    assert change.user == boss
    assert change.detail["before"]["treat"]["share"] == 50
    assert change.detail["after"]["treat"]["share"] == 150
    assert change.detail["after"]["control"] == change.detail["before"]["control"]


def test_saving_the_admin_page_without_changing_the_arms_records_no_change(admin, boss, start):
    experiment = make_experiment()
    start(experiment_start, experiment, boss)
    page = admin.get(change_url(experiment))
    data = change_form_data(page)
    data["description"] = "Does popularity beat the formula?"
    response = admin.post(change_url(experiment), data)
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.description == "Does popularity beat the formula?"
    assert list(ExperimentChange.objects.values_list("action", flat=True)) == ["start"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_control": True}, "Exactly one arm must be the control."),
        ({"model_version": "7", "ranker": "popularity"}, "Only a learned arm can pin a model version."),
        ({"model_version": "7", "ranker": "learned"}, "There is no stored model version 7."),
    ],
    ids=["two-controls", "pinned-popularity", "unknown-version"],
)
def test_the_admin_refuses_arms_that_cannot_run_with_a_message_not_an_error(admin, change, message):
    experiment = make_experiment()
    page = admin.get(change_url(experiment))
    data = change_form_data(page)
    treat = str(experiment.arms.get(name="treat").pk)
    index = next(i for i in range(2) if data[f"arms-{i}-id"] == treat)
    for field, value in change.items():
        if value is True:
            data[f"arms-{index}-{field}"] = "on"
        else:
            data[f"arms-{index}-{field}"] = value

    response = admin.post(change_url(experiment), data)

    assert response.status_code == 200  # the form again, with the reason
    assert escape(message) in response.content.decode()
    arm = experiment.arms.get(name="treat")
    assert (arm.is_control, arm.model_version, arm.ranker) == (False, None, "popularity")


# --- what the review of the first version found ------------------------------------------------------------


def test_what_staff_look_at_for_a_user_is_not_recorded_as_shown_to_them(client_for, boss, alice, venues):
    response = client_for(boss).get(f"/reco/venues/{alice.pk}/", {"limit": 5})
    assert response.status_code == 200 and len(response.json()) == 5
    assert not Impression.objects.exists()
    recommend(client_for, alice)
    assert Impression.objects.filter(user=alice).count() == 10


def test_an_outcome_goes_to_the_experiments_impression_not_to_a_later_one_outside_it(
    client_for, start, boss, alice, venues
):
    start(experiment_start, make_experiment(), boss)
    inside = recommend(client_for, alice)
    outside = recommend(client_for, alice, ranker="formula")  # later, outside the experiment
    shared = {row["venue_id"] for row in inside} & {row["venue_id"] for row in outside}
    venue_id = sorted(shared)[0]
    assert interact(client_for, alice, venue_id).status_code == 201
    outcome = Outcome.objects.get()
    assert str(outcome.impression.recommendation_id) == inside[0]["recommendation_id"]
    assert outcome.impression.experiment is not None


def figure(name, *, control=False, share=50, impressions=2000, clicks=100, p_value=None, lift=None):
    from experiments.report import ArmFigures

    return ArmFigures(
        name=name, ranker="formula", model_version=None, is_control=control, share=share, users=200,
        users_who_clicked=min(clicks, 200), impressions=impressions, views=0, clicks=clicks, plans=0,
        click_through=clicks / max(impressions, 1), click_through_ci=(0.0, 1.0), plans_per_1000=0.0,
        plans_per_1000_ci=(0.0, 0.0), lift=lift, p_value=p_value,
    )  # fmt: skip


def test_an_arm_without_traffic_does_not_hold_back_the_verdict():
    arms = [
        figure("control", control=True, clicks=60),
        figure("treat", clicks=180, p_value=1e-9, lift=2.0),
        figure("off", share=0, impressions=0, clicks=0, p_value=1.0),
    ]
    assert verdict(arms).startswith("winner: treat")


def test_with_three_arms_the_verdict_says_which_are_better_and_which_worse():
    control = figure("control", control=True, clicks=100)
    worse = figure("worse", clicks=40, p_value=1e-6, lift=-0.6)
    same = figure("same", clicks=102, p_value=0.8, lift=0.02)
    better = figure("better", clicks=200, p_value=1e-8, lift=1.0)
    also = figure("also", clicks=190, p_value=1e-7, lift=0.9)
    assert verdict([control, worse, same]).startswith("no winner: no arm beats control; worse than it")
    assert "worse (-60.0%" in verdict([control, worse, same])
    said = verdict([control, better, also])
    assert said.startswith("no single winner: better than control") and "better (+100.0%" in said and "also" in said
    said = verdict([control, better, worse])
    assert said.startswith("winner: better") and "worse than control: worse" in said


def test_a_started_experiments_arms_keep_their_names_and_rankers_and_it_cannot_be_deleted(admin, boss, start):
    experiment = make_experiment()
    start(experiment_start, experiment, boss)
    page = admin.get(change_url(experiment))
    formset = next(
        inline.formset for inline in page.context["inline_admin_formsets"] if inline.formset.model is ExperimentArm
    )
    assert set(formset.forms[0].fields) >= {"share"} and "name" not in formset.forms[0].fields
    assert "ranker" not in formset.forms[0].fields and formset.extra == 0
    response = admin.post(reverse("admin:experiments_experiment_delete", args=[experiment.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Experiment.objects.filter(pk=experiment.pk).exists()


def test_an_experiment_whose_control_gets_no_traffic_does_not_start(start, boss):
    experiment = make_experiment(arms=(("control", "formula", 0, True), ("treat", "popularity", 50, False)))
    with pytest.raises(ExperimentError, match="The control needs a traffic share above 0"):
        start(experiment_start, experiment, boss)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.DRAFT


def test_staff_preview_a_pinned_version_and_nobody_else_may(client_for, boss, alice, venues):
    url = f"/reco/venues/{alice.pk}/"
    assert client_for(alice).get(url, {"ranker": "learned", "model_version": 1}).status_code == 403
    missing = client_for(boss).get(url, {"ranker": "learned", "model_version": 9})
    assert missing.status_code == 404 and "model version 9" in missing.json()["detail"]
    without = client_for(boss).get(url, {"model_version": 1})
    assert without.status_code == 400 and "model_version" in without.json()


def test_an_arm_nobody_was_shown_anything_in_says_no_data_not_a_lift_of_minus_100_percent(admin, people, tmp_path):
    experiment = make_experiment()
    plant(experiment, "control", impressions=4, clicks=1, users=people[:2], venue=VenueFactory())
    treat = {arm.name: arm for arm in arm_figures(experiment)}["treat"]
    assert (treat.impressions, treat.lift, treat.p_value) == (0, None, None)

    page = admin.get(change_url(experiment)).content.decode()
    row = page[page.index("<td>treat</td>") :].split("</tr>")[0]
    assert row.count("<td>no data</td>") == 4  # click-through, plans, lift and p
    assert "-100" not in row

    out = io.StringIO()
    call_command("experiment_report", experiment.name, "--out", str(tmp_path), stdout=out)
    treat_line = next(line for line in out.getvalue().splitlines() if line.startswith("treat"))
    assert treat_line.endswith("no data  no data")


def test_the_audit_trail_names_the_admin_by_handle(admin, boss, start):
    experiment = make_experiment()
    start(experiment_start, experiment, boss)
    page = admin.get(change_url(experiment)).content.decode()
    assert "start by boss at" in page
    assert f"by {boss.pk}" not in page
