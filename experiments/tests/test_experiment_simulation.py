"""The experiment report on simulated populations: it finds a planted effect, and rarely one that is not there.

Users differ (each has their own propensity to act on what is shown, Beta(1, 15): 6% on average)
and see a Poisson number of impressions; their arm is the one the service would give them. Arm b's
users act on what they are shown `effect` times as often as they would in arm a. The figures in
docs/experiments.md come from these runs.
"""

from __future__ import annotations

import uuid

import numpy as np

from experiments.assignment import Arm, RunningExperiment
from experiments.models import ExperimentArm
from experiments.report import ArmCounts, figures_of, two_proportion_p, verdict

ARMS = [
    ExperimentArm(name="a", ranker="formula", share=50, is_control=True),
    ExperimentArm(name="b", ranker="learned", share=50),
]
EXPERIMENT = RunningExperiment(
    7, "simulated", tuple(Arm(arm.name, arm.ranker, None, arm.share, arm.is_control) for arm in ARMS)
)


def simulate(seed: int, effect: float, users: int = 1_000) -> tuple[dict[str, ArmCounts], float]:
    """(per-arm counts, the impression-level two-proportion p-value) of one simulated experiment."""
    rng = np.random.default_rng(seed)
    ids = [uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | index) for index in range(users)]
    arm = np.array([EXPERIMENT.arm_for(user).name for user in ids])
    propensity = rng.beta(1, 15, users)
    impressions = rng.poisson(8, users) + 1
    clicks = rng.binomial(impressions, np.minimum(propensity * np.where(arm == "b", effect, 1.0), 1.0))
    plans = rng.binomial(clicks, 0.2)
    counts = {
        name: ArmCounts(impressions[arm == name].astype(float), clicks[arm == name].astype(float), plans[arm == name])
        for name in ("a", "b")
    }
    naive = two_proportion_p(
        int(clicks[arm == "a"].sum()), int(impressions[arm == "a"].sum()),
        int(clicks[arm == "b"].sum()), int(impressions[arm == "b"].sum()),
    )  # fmt: skip
    return counts, naive


def test_a_planted_effect_is_found_with_significance():
    found = 0
    for seed in range(20):
        counts, _ = simulate(seed, effect=1.5)
        figures = figures_of(ARMS, counts)
        said = verdict(figures)
        b = figures[1]
        assert b.lift > 0.2  # half as many clicks again, measured on about 4,500 impressions an arm
        found += said.startswith("winner: b")
    assert found >= 18  # 20 of 20 when measured


def test_without_an_effect_it_rarely_declares_a_winner_and_never_before_enough_data():
    false_winners = naive_false_winners = 0
    runs = 200
    for seed in range(runs):
        counts, naive = simulate(1_000 + seed, effect=1.0)
        said = verdict(figures_of(ARMS, counts))
        false_winners += said.startswith("winner")
        naive_false_winners += naive < 0.05
    # At alpha 0.05 about 10 of 200 are expected by chance; the impression-level test, which treats
    # every impression as independent, finds about twice as many.
    assert false_winners <= 16
    assert naive_false_winners > false_winners
    small, _ = simulate(5, effect=3.0, users=100)
    assert verdict(figures_of(ARMS, small)).startswith("not enough data yet")


def test_arms_get_about_their_share_of_users():
    counts, _ = simulate(3, effect=1.0, users=4_000)
    assert abs(len(counts["a"].impressions) - 2_000) < 150
