"""Rankers: fitted on a World, they score every venue for a batch of users at once.

`score(world, users)` returns a `Scored`: the scores (users x venues), the features
behind them (each users x venues, or broadcast), and the distances from home used
for the tie-break and the distance filter. Higher is better; ties go to the nearer
venue, then to the lower venue position (id order), the same rule online and offline.

The explanation of a score: each input's contribution is how much it moved the score
from the user's baseline, the score of a venue where every signal is absent (nobody
went, nothing like it, not popular) at the user's median distance from home (the median
over every venue; without a home, every venue's distance is the same and its
contribution 0). So score = baseline + the sum of the contributions, a "more is better"
input contributes 0 where it is 0, and the distance's contribution is above 0 nearer
than that median and below it farther.

What is served is `readable`: the score mapped onto 0-1 by the ranker's `readable_scale`
(an affine map, the same for every user of a ranker, so the order and the additivity are
kept); the scores themselves are what everything else (ordering, groups, evaluation) uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ranking import formula
from ranking.geometry import haversine_km
from ranking.topk import top_k
from ranking.world import World

# The seed formula's constants (settings.LUNA_RECO has the same defaults; the service passes those).
FORMULA_DEFAULTS = {
    "SPATIAL_DECAY_PER_KM": 0.3,
    "VENUE_WEIGHTS": {"spatial": 0.4, "preference": 0.4, "popularity": 0.2},
    "PREFERENCE_PER_POSITIVE": 0.5,
    "PREFERENCE_DWELL_SECONDS": 300.0,
}


Explanation = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Scored:
    score: np.ndarray  # (users, venues)
    features: dict[str, np.ndarray] | None  # name -> (users, venues), possibly a broadcast view
    distance: np.ndarray  # (users, venues) km from home, NaN for users without one
    # name -> (users, venues): how much each part added to the score (the explanation).
    contributions: dict[str, np.ndarray] | None = None
    # Instead of features and contributions over every venue: (rows, positions) -> (features,
    # contributions) at those cells, each name -> (len(rows), len(positions)).
    explain: Callable[[np.ndarray, np.ndarray], Explanation] | None = None
    # A shortlist: the columns are these venue positions (ascending), not every venue, and no
    # venue outside them scores above outside_bound (users,) for its user. None: every venue.
    positions: np.ndarray | None = None
    outside_bound: np.ndarray | None = None
    # rows -> (len(rows),) each user's baseline: the score where every contribution is 0.
    baselines: Callable[[np.ndarray], np.ndarray] | None = None

    def baseline(self, rows: np.ndarray) -> np.ndarray:
        """The baseline of the batch's `rows`: score = baseline + the sum of the contributions."""
        rows = np.asarray(rows)
        return np.zeros(len(rows)) if self.baselines is None else np.asarray(self.baselines(rows), dtype=np.float64)

    def venue_positions(self, columns: np.ndarray) -> np.ndarray:
        """The venue positions of these columns."""
        return columns if self.positions is None else self.positions[columns]

    def on_columns(self, per_venue: np.ndarray) -> np.ndarray:
        """Something known per venue position (V,), for these columns."""
        return per_venue if self.positions is None else per_venue[self.positions]

    def explanation(self, rows: np.ndarray, positions: np.ndarray) -> Explanation:
        """(features, contributions) of the batch's `rows` at these columns, each name -> (rows, columns)."""
        if self.explain is not None:
            return self.explain(np.asarray(rows), np.asarray(positions))
        cells = np.ix_(np.asarray(rows), np.asarray(positions))
        return (
            {name: np.asarray(values)[cells] for name, values in (self.features or {}).items()},
            {name: np.asarray(values)[cells] for name, values in (self.contributions or {}).items()},
        )


def home_distances(world: World, users: np.ndarray) -> np.ndarray:
    """(users, venues) great-circle km from each user's home; NaN rows for users without one."""
    return haversine_km(
        world.home_lat[users][:, None],
        world.home_lng[users][:, None],
        world.venue_lat[None, :],
        world.venue_lng[None, :],
    )


def median_km(distance: np.ndarray) -> np.ndarray:
    """(users,) the median of each row of (users, venues) km; NaN for a user without a home."""
    if distance.shape[1] == 0:
        return np.full(distance.shape[0], np.nan)
    return np.median(distance, axis=1)


def readable(score: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """Scores on the 0-1 scale served: (score - low) / span, and 0 below `low` (a venue the ranker puts
    after every candidate: see ranking.learned); at most 1 (beyond it only by rounding)."""
    low, span = scale
    return np.clip((np.asarray(score, dtype=np.float64) - low) / span, 0.0, 1.0)


OUTSIDE = "not_a_candidate"  # the contribution that takes a readable score clipped at 0 down to it


def readable_explanation(
    score: np.ndarray, baseline: np.ndarray, contributions: dict[str, np.ndarray], scale: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(score, baseline, contributions) of `score` (users, venues) = baseline (users,) + the sum of the
    contributions, on the served scale: the contributions divided by the span, the baseline mapped
    like a score, so that readable score = readable baseline + their sum still holds. Where the score
    is clipped at 0, the OUTSIDE contribution (present only in the rankers that clip) takes it there."""
    low, span = scale
    shown = readable(score, scale)
    base = (np.asarray(baseline, dtype=np.float64) - low) / span
    parts = {name: np.asarray(values, dtype=np.float64) / span for name, values in contributions.items()}
    if OUTSIDE in parts:
        others = sum((values for name, values in parts.items() if name != OUTSIDE), np.zeros_like(shown))
        parts[OUTSIDE] = np.where(contributions[OUTSIDE] == 0, 0.0, shown - base[:, None] - others)
    return shown, base, parts


def relative_popularity(world: World) -> np.ndarray:
    """(venues,) distinct users with a like or interest, over the most any venue has (0 when none has any)."""
    return formula.popularity_feature(world.popularity, max_count=float(world.popularity.max(initial=0)))


class Ranker:
    """Fitted once on a World's history, then asked for batches of users."""

    name = ""
    batch_users = 256  # how many users to score at once offline (memory: users x venues per array)

    def fit(self, world: World) -> Ranker:
        return self

    def score(self, world: World, users: np.ndarray) -> Scored:
        raise NotImplementedError

    def score_shortlist(self, world: World, users: np.ndarray) -> Scored:
        """The scores of the venues that can matter, with a bound on the rest (Scored.positions);
        by default every venue."""
        return self.score(world, users)

    def readable_scale(self) -> tuple[float, float]:
        """(low, span): the served score is (score - low) / span (see `readable`). The baselines' scores
        are 0-1 already."""
        return 0.0, 1.0


class FormulaRanker(Ranker):
    """The seed formula, exactly: weights["spatial"] * spatial + weights["preference"] * preference
    + weights["popularity"] * popularity (ranking.formula)."""

    name = "formula"

    def __init__(self, config: Mapping | None = None) -> None:
        self.config = {**FORMULA_DEFAULTS, **(config or {})}

    def score(self, world: World, users: np.ndarray) -> Scored:
        config = self.config
        distance = home_distances(world, users)
        spatial = formula.spatial_feature(distance, decay_per_km=config["SPATIAL_DECAY_PER_KM"])
        preference = formula.preference_feature(
            world.positive[users].toarray(),
            world.dwell[users].toarray(),
            per_positive=config["PREFERENCE_PER_POSITIVE"],
            dwell_scale_seconds=config["PREFERENCE_DWELL_SECONDS"],
        )
        popularity = np.broadcast_to(relative_popularity(world), spatial.shape)
        weights = config["VENUE_WEIGHTS"]
        score = formula.venue_score(spatial, preference, popularity, weights=weights)
        features = {"spatial": spatial, "preference": preference, "popularity": popularity}
        # Relative to a venue nobody liked, that the user never went to, at their median distance.
        typical = formula.spatial_feature(median_km(distance), decay_per_km=config["SPATIAL_DECAY_PER_KM"])
        baseline = weights["spatial"] * typical
        contributions = {
            "spatial": weights["spatial"] * (spatial - typical[:, None]),
            "preference": weights["preference"] * preference,
            "popularity": weights["popularity"] * popularity,
        }
        return Scored(
            score=score,
            features=features,
            distance=distance,
            contributions=contributions,
            baselines=lambda rows: baseline[rows],
        )


class PopularityRanker(Ranker):
    """The most liked venues first, the same list for everyone (a baseline)."""

    name = "popularity"

    def score(self, world: World, users: np.ndarray) -> Scored:
        distance = home_distances(world, users)
        popularity = np.broadcast_to(relative_popularity(world), distance.shape)
        features = {"popularity": popularity}
        return Scored(score=popularity, features=features, distance=distance, contributions=features)


class DistanceRanker(Ranker):
    """The venues nearest home first (a baseline; users without a home get id order)."""

    name = "distance"

    def __init__(self, decay_per_km: float = FORMULA_DEFAULTS["SPATIAL_DECAY_PER_KM"]) -> None:
        self.decay_per_km = decay_per_km

    def score(self, world: World, users: np.ndarray) -> Scored:
        distance = home_distances(world, users)
        spatial = formula.spatial_feature(distance, decay_per_km=self.decay_per_km)
        typical = formula.spatial_feature(median_km(distance), decay_per_km=self.decay_per_km)
        return Scored(
            score=spatial,
            features={"spatial": spatial},
            distance=distance,
            contributions={"spatial": spatial - typical[:, None]},
            baselines=lambda rows: typical[rows],
        )


def top_k_for(scored: Scored, row: int, k: int, candidates: np.ndarray) -> np.ndarray:
    """Venue positions of the k best candidates for the batch's `row`: score desc, distance asc, position asc."""
    score = scored.score[row, candidates]
    best = top_k(score, k, id_rank=candidates, distance=scored.distance[row, candidates])
    return candidates[best]
