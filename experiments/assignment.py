"""Who is in which arm of the experiment running on venue recommendations.

A running experiment splits the users of `GET /reco/venues/{id}/` (without `?ranker=`) across its
arms: a user's arm is the SHA-256 of "experiment id:user id" read as a number in [0, 1), placed on
the arms' cumulative traffic shares. The same user gets the same arm on every request, in every
process, for as long as the shares stay the same. At most one experiment runs at a time (a database
constraint); `?ranker=` still serves any ranker (staff previewing an arm), and those answers are
recorded outside the experiment.

Each process keeps the running experiment in memory and reads it again when the shared cache's
mark changes (any change made through the admin replaces it: `experiments_changed`) or after
EXPERIMENT_CACHE_SECONDS, so a request costs no query for it (luna.caching.MarkedValue).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from experiments.models import Experiment
from luna.caching import MarkedValue, SharedMark

GENERATION_CACHE_KEY = "luna:experiments:generation"
EXPERIMENT_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Arm:
    name: str
    ranker: str
    model_version: int | None
    share: int
    is_control: bool


@dataclass(frozen=True)
class RunningExperiment:
    id: int
    name: str
    arms: tuple[Arm, ...]

    def arm_for(self, user_id: uuid.UUID) -> Arm:
        """The user's arm: deterministic in (experiment, user), proportional to the shares."""
        digest = hashlib.sha256(f"{self.id}:{user_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
        total = sum(arm.share for arm in self.arms)
        reached = 0.0
        for arm in self.arms:
            reached += arm.share / total
            if point < reached:
                return arm
        return self.arms[-1]


def _load_running() -> RunningExperiment | None:
    experiment = Experiment.objects.filter(status=Experiment.Status.RUNNING).prefetch_related("arms").first()
    if experiment is None:
        return None
    arms = tuple(
        Arm(arm.name, arm.ranker, arm.model_version, arm.share, arm.is_control)
        for arm in sorted(experiment.arms.all(), key=lambda arm: arm.name)
        if arm.share > 0
    )
    return RunningExperiment(experiment.id, experiment.name, arms) if arms else None


running_cache = MarkedValue(
    SharedMark(GENERATION_CACHE_KEY, use="experiments"), _load_running, max_age=EXPERIMENT_CACHE_SECONDS
)


def running_experiment() -> RunningExperiment | None:
    """The experiment running on venue recommendations, if any (no query while it is unchanged)."""
    return running_cache.get()


def experiments_changed() -> None:
    """Make every process read the running experiment again on its next request."""
    running_cache.changed()
