"""Offline evaluation: rank every unvisited venue for each held-out user, then count the hits.

The protocol everyone reports: for each user with at least one held-out venue and
at least one venue in their history, rank every venue not in that history, take
the top k. P@k = hits / k, R@k = hits / |held-out|, NDCG@k with binary gains and
the ideal DCG over min(k, |held-out|), MAP@k = the mean over hits of the precision
at their rank, divided by min(k, |held-out|). Coverage is the share of venues in
anyone's top k. Everything is averaged over the users evaluated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ranking.rankers import Ranker, top_k_for
from ranking.world import World

BATCH_USERS = 256
BATCH_CELLS = 4_000_000  # users x venues per batch: at most about 32 MB per float64 array


@dataclass(frozen=True)
class Evaluation:
    k: int
    precision: float
    recall: float
    ndcg: float
    map: float
    coverage: float
    users: int
    seconds: float
    # P@i and R@i for i = 1..len(curve): what the plot draws.
    precision_curve: list[float]
    recall_curve: list[float]

    def as_json(self) -> dict:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "ndcg": self.ndcg,
            "map": self.map,
            "coverage": self.coverage,
            "users": self.users,
            "seconds": self.seconds,
        }


def evaluated_users(history: World, held_out: sp.csr_matrix) -> np.ndarray:
    """Users with at least one held-out venue and at least one venue in their history."""
    has_history = np.diff(history.interactions.indptr) > 0
    has_held_out = np.diff(held_out.indptr) > 0
    return np.flatnonzero(has_history & has_held_out)


def rank_for_users(
    ranker: Ranker,
    world: World,
    users: np.ndarray,
    k: int,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[np.ndarray]:
    """For each user, the positions of the top-k venues they have not been to, best first."""
    lists: list[np.ndarray] = []
    every_venue = np.ones(world.n_venues, dtype=bool)
    interactions = world.interactions
    # Each batch holds a few (users x venues) arrays: fewer users at a time in a large catalogue.
    batch_size = max(1, min(BATCH_USERS, ranker.batch_users, BATCH_CELLS // max(world.n_venues, 1)))
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        scored = ranker.score(world, batch)
        for row, user in enumerate(batch.tolist()):
            candidates = every_venue.copy()
            candidates[interactions.indices[interactions.indptr[user] : interactions.indptr[user + 1]]] = False
            lists.append(top_k_for(scored, row, k, np.flatnonzero(candidates)))
        if progress is not None:
            progress(min(start + batch_size, len(users)), len(users))
    return lists


def measure(
    ranker: Ranker,
    world: World,
    held_out: sp.csr_matrix,
    *,
    k: int = 10,
    curve_to: int = 20,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Score `world` (the history) with a fitted ranker and measure its lists against `held_out` (users x venues)."""
    started = time.perf_counter()
    users = evaluated_users(world, held_out)
    lists = rank_for_users(ranker, world, users, max(k, curve_to), progress=progress)
    return score_lists(lists, users, held_out, n_venues=world.n_venues, k=k, curve_to=curve_to, started=started)


def score_lists(
    lists: list[np.ndarray],
    users: np.ndarray,
    held_out: sp.csr_matrix,
    *,
    n_venues: int,
    k: int,
    curve_to: int,
    started: float,
) -> Evaluation:
    """The metrics of ranked lists (venue positions, best first), one per user of `users`."""
    depth = max(k, curve_to)
    discounts = 1.0 / np.log2(np.arange(2, depth + 2))
    hits_at = np.zeros((len(users), depth))  # hits_at[u, i] = 1 when the venue at rank i+1 is held out
    truth_sizes = np.diff(held_out.indptr)[users]
    for row, (user, ranked) in enumerate(zip(users.tolist(), lists, strict=True)):
        truth = held_out.indices[held_out.indptr[user] : held_out.indptr[user + 1]]
        ranked = np.asarray(ranked[:depth], dtype=np.int64)
        hits_at[row, : len(ranked)] = np.isin(ranked, truth)

    cumulative = np.cumsum(hits_at, axis=1)
    at_k = cumulative[:, k - 1] if len(users) else np.zeros(0)
    precision = at_k / k
    recall = at_k / truth_sizes
    dcg = (hits_at[:, :k] * discounts[:k]).sum(axis=1)
    ideal = np.cumsum(discounts[:k])[np.minimum(truth_sizes, k) - 1]
    precision_at_rank = cumulative[:, :k] / np.arange(1, k + 1)
    average_precision = (precision_at_rank * hits_at[:, :k]).sum(axis=1) / np.minimum(truth_sizes, k)
    shown = np.unique(np.concatenate([np.asarray(ranked[:k], dtype=np.int64) for ranked in lists])) if lists else []

    def mean(values: np.ndarray) -> float:
        return float(values.mean()) if len(values) else 0.0

    return Evaluation(
        k=k,
        precision=mean(precision),
        recall=mean(recall),
        ndcg=mean(dcg / ideal),
        map=mean(average_precision),
        coverage=len(shown) / n_venues if n_venues else 0.0,
        users=len(users),
        seconds=time.perf_counter() - started,
        precision_curve=[mean(cumulative[:, i] / (i + 1)) for i in range(curve_to)],
        recall_curve=[mean(cumulative[:, i] / truth_sizes) for i in range(curve_to)],
    )
