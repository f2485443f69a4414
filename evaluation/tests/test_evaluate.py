"""`manage.py evaluate`: the standard metrics, the table, JSON and plot, and the same figure as the API."""

from __future__ import annotations

import json
import math
import uuid
from datetime import timedelta
from io import StringIO

import numpy as np
import pytest
import scipy.sparse as sp
from django.core.management import CommandError, call_command
from django.utils import timezone

from evaluation.checkins import load_checkins, user_uuid, venue_of_uuid
from evaluation.tests.splits import write_split
from ranking.groups import group_figures
from ranking.metrics import measure
from ranking.rankers import PopularityRanker
from ranking.world import World, csr
from recommendations.tests.small_ranker import small_ranker
from users.tests.factories import UserFactory
from venues.models import Interaction
from venues.tests.factories import InteractionFactory, VenueFactory

SMALL_RANKER = small_ranker(seeds=2, pool=20, report_users=30)


def hand_world() -> tuple[World, sp.csr_matrix]:
    """u0 has been to v0; u1 to v1, v2; u2 to v1, v3. Held out: u0 goes to v2 and v4."""
    shape = (3, 5)
    visits = csr([0, 1, 1, 2, 2], [0, 1, 2, 1, 3], np.ones(5), shape)
    world = World(
        venue_lat=np.zeros(5),
        venue_lng=np.zeros(5),
        venue_category=np.full(5, -1),
        positive=visits,
        dwell=sp.csr_matrix(shape),
        interactions=visits,
        home_lat=np.full(3, np.nan),
        home_lng=np.full(3, np.nan),
    )
    return world, csr([0, 0], [2, 4], np.ones(2), shape)


def test_the_metrics_are_the_standard_ones_on_a_world_worked_out_by_hand():
    world, held_out = hand_world()
    # Popularity among u0's unvisited venues: v1 (2 users), v2 and v3 (1 each, id order), v4 (0).
    result = measure(PopularityRanker(), world, held_out, k=2, curve_to=4)

    assert result.users == 1  # only u0 has held-out venues
    assert result.precision == 0.5  # v2 at rank 2
    assert result.recall == 0.5
    assert result.ndcg == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert result.map == pytest.approx(0.5 / 2)
    assert result.coverage == 2 / 5  # v1 and v2 are all anyone sees
    assert result.precision_curve == [0.0, 0.5, pytest.approx(1 / 3), 0.5]  # v4 comes in at rank 4
    assert result.recall_curve == [0.0, 0.5, 0.5, 1.0]


@pytest.mark.slow
@pytest.mark.django_db
def test_evaluate_prints_the_table_and_writes_json_and_a_plot(tmp_path, settings):
    settings.LUNA_RANKER = SMALL_RANKER
    directory = write_split(tmp_path / "split")
    out, err = StringIO(), StringIO()
    call_command(
        "evaluate",
        str(directory),
        "--json",
        str(tmp_path / "r.json"),
        "--plot",
        str(tmp_path / "r.png"),
        stdout=out,
        stderr=err,
    )

    table = out.getvalue().splitlines()
    assert table[0] == "Held out: Tiny, test (history: train)"
    assert table[1].split() == ["ranker", "P@10", "R@10", "NDCG@10", "MAP@10", "coverage", "users", "seconds"]
    assert [line.split()[0] for line in table[2:6]] == ["formula", "learned", "popularity", "distance"]
    # Which BLAS kernels the figures were computed with (their sums round as those do).
    blas = next(line for line in table if line.startswith("BLAS: "))
    body = json.loads((tmp_path / "r.json").read_text())
    assert set(body) == {"k", "on", "rankers", "blas"}
    assert body["blas"], "numpy's BLAS is loaded"
    for library in body["blas"]:
        assert set(library) == {"library", "version", "kernels", "threads"}
        assert f"{library['library']} {library['version']}, " in blas
    assert (body["k"], body["on"], list(body["rankers"])) == (
        10,
        "test",
        ["formula", "learned", "popularity", "distance"],
    )
    for figures in body["rankers"].values():
        assert set(figures) == {"precision", "recall", "ndcg", "map", "coverage", "users", "seconds"}
        assert figures["users"] == 30
        assert 0 <= figures["precision"] <= 1
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "formula: 30/30 users" in err.getvalue()  # progress goes to stderr


@pytest.mark.django_db
def test_tune_k_and_the_choice_of_rankers(tmp_path):
    directory = write_split(tmp_path / "split")
    call_command(
        "evaluate", str(directory), "--on", "tune", "--k", "5", "--rankers", "distance",
        "--json", str(tmp_path / "r.json"), stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    body = json.loads((tmp_path / "r.json").read_text())
    assert (body["k"], body["on"], list(body["rankers"])) == (5, "tune", ["distance"])


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--rankers", "magic"], "--rankers: unknown magic"),
        (["--k", "0"], "--k must be between 1 and 100"),
        (["--from-database"], "Give a split folder or --from-database, not both"),
    ],
)
def test_bad_options_are_refused(tmp_path, arguments, message):
    directory = write_split(tmp_path / "split")
    with pytest.raises(CommandError, match=message):
        call_command("evaluate", str(directory), *arguments, stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_offline_and_online_agree_on_the_formulas_precision(tmp_path, client_for, staff):
    """evaluate's P@10 for `formula` is what the API gives after import_checkins, for every test user."""
    directory = write_split(tmp_path / "split", users=40, venues=70, seed=11)
    call_command(
        "evaluate", str(directory), "--rankers", "formula", "--json", str(tmp_path / "r.json"),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    offline = json.loads((tmp_path / "r.json").read_text())["rankers"]["formula"]
    call_command("import_checkins", str(directory), stdout=StringIO())

    split = load_checkins(directory)
    test, history = split.held_out["test"], split.world.interactions
    client = client_for(staff)
    precisions = []
    for user in range(split.world.n_users):
        truth = set(test.indices[test.indptr[user] : test.indptr[user + 1]].tolist())
        if not truth or history.indptr[user] == history.indptr[user + 1]:
            continue
        response = client.get(f"/reco/venues/{user_uuid(user)}/", {"limit": 10, "exclude_interacted": "true"})
        assert response.status_code == 200
        shown = [venue_of_uuid(uuid.UUID(row["venue_id"])) for row in response.json()]
        precisions.append(len(truth & set(shown)) / 10)

    assert len(precisions) == offline["users"]
    assert float(np.mean(precisions)) == pytest.approx(offline["precision"], abs=1e-12)
    assert offline["precision"] > 0  # the world has something to find

    # evaluate --through-api asks the same endpoint and measures every figure alike.
    call_command(
        "evaluate", str(directory), "--rankers", "formula", "--through-api", "--json", str(tmp_path / "api.json"),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    through_api = json.loads((tmp_path / "api.json").read_text())["rankers"]["formula"]
    for figure in ("precision", "recall", "ndcg", "map", "coverage", "users"):
        assert through_api[figure] == pytest.approx(offline[figure], abs=1e-12), figure


@pytest.mark.django_db
def test_evaluate_from_the_database_holds_out_the_last_days(tmp_path, alice, bob, charlie):
    near, far, popular = VenueFactory(lat=40.7306, lng=-73.9352), VenueFactory(lat=41.5, lng=-73), VenueFactory()
    old = timezone.now() - timedelta(days=30)
    for user, venue in ((alice, near), (bob, popular), (charlie, popular), (bob, far)):
        InteractionFactory(user=user, venue=venue, interaction_type="like")
    Interaction.objects.update(created_at=old)
    InteractionFactory(user=alice, venue=popular, interaction_type="like")  # this week: held out
    InteractionFactory(user=bob, venue=near, interaction_type="view")  # not positive: not held out
    UserFactory(handle="newcomer")  # no history: not evaluated

    call_command(
        "evaluate", "--from-database", "--holdout-days", "7", "--k", "1", "--rankers", "popularity",
        "--json", str(tmp_path / "r.json"), stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    figures = json.loads((tmp_path / "r.json").read_text())["rankers"]["popularity"]
    # Only alice has a held-out venue; of hers not yet visited, `popular` had 2 users before the cut.
    assert figures["users"] == 1
    assert (figures["precision"], figures["recall"]) == (1.0, 1.0)


@pytest.mark.django_db
def test_evaluate_from_the_database_needs_something_to_hold_out(alice):
    with pytest.raises(CommandError, match="No positive interactions in the last 7 days"):
        call_command("evaluate", "--from-database", "--holdout-days", "7", stdout=StringIO(), stderr=StringIO())


@pytest.mark.slow
@pytest.mark.django_db
def test_offline_and_online_agree_on_the_learned_ranker(tmp_path, settings):
    """`evaluate --rankers learned` fits on the train part exactly as train_ranker fits on the imported split."""
    settings.LUNA_RANKER = SMALL_RANKER
    directory = write_split(tmp_path / "split", users=60, venues=80, seed=5)
    arguments = ["--rankers", "learned,formula"]
    call_command("evaluate", str(directory), *arguments, "--json", str(tmp_path / "offline.json"), stdout=StringIO())
    call_command("import_checkins", str(directory), stdout=StringIO())
    with pytest.raises(CommandError, match="run train_ranker"):
        call_command("evaluate", str(directory), "--rankers", "learned", "--through-api", stdout=StringIO())
    call_command("train_ranker", "--activate-anyway", stdout=StringIO())  # 60 users: too few for the gate
    call_command(
        "evaluate", str(directory), *arguments, "--through-api", "--json", str(tmp_path / "api.json"), stdout=StringIO()
    )
    offline = json.loads((tmp_path / "offline.json").read_text())["rankers"]
    online = json.loads((tmp_path / "api.json").read_text())["rankers"]
    for figure in ("precision", "recall", "ndcg", "map", "coverage", "users"):
        assert online["learned"][figure] == pytest.approx(offline["learned"][figure], abs=1e-9), figure
    assert offline["learned"]["precision"] > offline["formula"]["precision"]


@pytest.mark.django_db
def test_evaluate_groups_measures_every_strategy_against_the_organizers_own_list(tmp_path):
    directory = write_split(tmp_path / "split", users=60, venues=80, seed=5)
    out = StringIO()
    call_command(
        "evaluate", str(directory), "--rankers", "formula", "--groups", "8", "--json", str(tmp_path / "g.json"),
        stdout=out, stderr=StringIO(),
    )  # fmt: skip
    groups = json.loads((tmp_path / "g.json").read_text())["groups"]["formula"]
    assert list(groups) == ["organizer_alone", "average", "least_misery", "fair"]
    for figures in groups.values():
        assert 1 <= figures["groups"] <= 8
        assert 0 <= figures["all_members_hit"] <= figures["hit_rate"] <= 1
    assert "organizer_alone" in out.getvalue() and "least_misery" in out.getvalue()
    without_friends = write_split(tmp_path / "alone", social=False)
    with pytest.raises(CommandError, match="No groups can be formed"):
        call_command("evaluate", str(without_friends), "--rankers", "formula", "--groups", "3", stdout=StringIO())


def testgroup_figures_count_hits_per_member():
    """Group (0, 1): the list [v2, v3]; member 0 visits v2 later, member 1 visits v4: one of two members hit."""

    held_out = csr([0, 1, 1], [2, 4, 5], np.ones(3), (2, 6))
    figures = group_figures([(np.array([0, 1]), np.array([2, 3]))], held_out)
    assert (figures.hit_rate, figures.all_members_hit, figures.groups) == (1.0, 0.0, 1)
    assert figures.member_recall == pytest.approx((1 / 1 + 0 / 2) / 2)


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def evaluate_progress(tmp_path, stderr: StringIO) -> str:
    directory = write_split(tmp_path / "split")
    call_command("evaluate", str(directory), "--rankers", "formula,popularity", stdout=StringIO(), stderr=stderr)
    return stderr.getvalue()


def test_in_a_log_the_progress_comes_as_plain_lines_without_carriage_returns(tmp_path):
    err = evaluate_progress(tmp_path, StringIO())

    assert "\r" not in err
    assert [line for line in err.splitlines() if "users" in line] == [
        "formula: 30/30 users",
        "popularity: 30/30 users",
    ]


def test_on_a_terminal_the_progress_is_one_line_rewritten_in_place(tmp_path):
    err = evaluate_progress(tmp_path, Terminal())

    assert "\rformula: 30/30 users\n" in err
    assert "\rpopularity: 30/30 users\n" in err


def test_in_a_log_a_long_run_prints_a_line_at_each_tenth():
    from evaluation.management.commands.evaluate import Command

    err = StringIO()
    show = Command(stderr=err)._progress("formula")
    for done in range(1, 1001):
        show(done, 1000)

    assert err.getvalue().splitlines() == [f"formula: {done:,}/1,000 users" for done in (1, *range(100, 1001, 100))]
