"""Venues for a group: each member's scores from one ranker, aggregated per venue.

The members' scores are one (members x venues) matrix from the ranker that serves
them alone, so a member's own score for a venue is the one their personal list shows.
Strategies:

- average: the mean of the members' scores;
- least_misery: the lowest member score, so nobody is taken somewhere they would rank last;
- fair: the mean minus FAIRNESS_PENALTY x the standard deviation of the members' scores,
  so of two venues with the same mean the one the members agree on comes first.

The learned ranker scores venues outside a member's candidate pool 1,000 lower (see
ranking.learned), so every strategy puts venues some member has reason to like
after those all members have. Ties go to the lower venue position (the id order).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from ranking.rankers import top_k_for
from ranking.topk import top_k
from ranking.world import World

STRATEGIES = ("average", "least_misery", "fair")
DEFAULT_STRATEGY = "average"
FAIRNESS_PENALTY = 0.5


def _column_means(values: np.ndarray) -> np.ndarray:
    """The mean of each column, the members added in their order: numpy's mean sums one column in
    another order than many (pairwise), so a venue's group score would depend on which venues were
    scored with it, and the members' candidate lists could not give the live ranking's digits."""
    total = values[0].copy()
    for row in values[1:]:
        total += row
    return total / len(values)


def group_scores(member_scores: np.ndarray, strategy: str) -> np.ndarray:
    """(venues,) the group's score of every venue from the (members, venues) scores; each venue's from
    its own column alone, to the digit."""
    member_scores = np.asarray(member_scores, dtype=np.float64)
    if strategy == "average":
        return _column_means(member_scores)
    if strategy == "least_misery":
        return member_scores.min(axis=0)
    if strategy == "fair":
        mean = _column_means(member_scores)
        deviation = member_scores - mean
        return mean - FAIRNESS_PENALTY * np.sqrt(_column_means(deviation * deviation))
    raise ValueError(f"Unknown group strategy {strategy!r}; use one of {', '.join(STRATEGIES)}.")


def group_ceiling(member_bounds: np.ndarray, strategy: str) -> np.ndarray:
    """(venues,) the most the group's score can be at each venue where no member's score exceeds their
    bound in the (members, venues) `member_bounds`: the mean of the bounds (the fair score is at most
    the mean), or their minimum for least misery. Computed as group_scores computes, so that it holds
    to the digit (rounding is monotone)."""
    return group_scores(member_bounds, "least_misery" if strategy == "least_misery" else "average")


def group_bound(bounds: np.ndarray, strategy: str) -> float:
    """group_ceiling of one venue where each member's score is at most their entry of `bounds`."""
    return float(group_ceiling(np.asarray(bounds, dtype=np.float64)[:, None], strategy)[0])


def group_top_k(
    member_scores: np.ndarray, strategy: str, k: int, candidates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(positions, their group scores) of the k best `candidates` (venue positions), best first."""
    score = group_scores(member_scores[:, candidates], strategy)
    best = top_k(score, k, id_rank=candidates)
    return candidates[best], score[best]


# --- Offline: how well a group's list serves its members ----------------------

ORGANIZER_ALONE = "organizer_alone"


def form_groups(world: World, held_out: sp.csr_matrix, count: int, *, seed: int = 0) -> list[np.ndarray]:
    """Up to `count` groups from the social graph: a user and 2-4 of their friends, all of whom have
    held-out venues and a history (fixed seed). Each group is an array of users, organizer first."""
    if world.social is None:
        return []
    rng = np.random.default_rng(seed)
    eligible = (np.diff(held_out.indptr) > 0) & (np.diff(world.interactions.indptr) > 0)
    social = world.social.tocsr()
    groups = []
    for organizer in rng.permutation(np.flatnonzero(eligible)).tolist():
        friends = social.indices[social.indptr[organizer] : social.indptr[organizer + 1]]
        friends = np.unique(friends[eligible[friends] & (friends != organizer)])
        if len(friends) < 2:
            continue
        size = min(int(rng.integers(2, 5)), len(friends))
        groups.append(np.r_[organizer, np.sort(rng.choice(friends, size, replace=False))].astype(np.intp))
        if len(groups) == count:
            break
    return groups


@dataclass(frozen=True)
class GroupEvaluation:
    hit_rate: float  # groups whose list holds a venue some member visits in the held-out part
    member_recall: float  # mean over groups of the members' mean recall@k of the group's list
    all_members_hit: float  # groups where every member (the least satisfied too) gets a hit
    groups: int

    def as_json(self) -> dict:
        return asdict(self)


def measure_groups(ranker, world: World, held_out: sp.csr_matrix, groups: list[np.ndarray], *, k: int = 10):
    """{strategy or ORGANIZER_ALONE: GroupEvaluation}: each group's top k by every strategy, among the venues
    no member has been to, and the organizer's own top k (venues they have not been to) for comparison."""
    interactions = world.interactions
    lists: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in (ORGANIZER_ALONE, *STRATEGIES)}
    for members in groups:
        scored = ranker.score(world, members)
        scores = np.asarray(scored.score)
        been = np.zeros(world.n_venues, dtype=bool)
        for member in members.tolist():
            been[interactions.indices[interactions.indptr[member] : interactions.indptr[member + 1]]] = True
        candidates = np.flatnonzero(~been)
        for strategy in STRATEGIES:
            lists[strategy].append((members, group_top_k(scores, strategy, k, candidates)[0]))
        own = interactions.indices[interactions.indptr[members[0]] : interactions.indptr[members[0] + 1]]
        mine = np.setdiff1d(np.arange(world.n_venues), own)
        lists[ORGANIZER_ALONE].append((members, top_k_for(scored, 0, k, mine)))
    return {name: group_figures(entries, held_out) for name, entries in lists.items()}


def group_figures(entries, held_out: sp.csr_matrix) -> GroupEvaluation:
    hits, recalls, everyone = [], [], []
    for members, shown in entries:
        member_hits = []
        for member in members.tolist():
            truth = held_out.indices[held_out.indptr[member] : held_out.indptr[member + 1]]
            member_hits.append((np.isin(shown, truth).sum(), len(truth)))
        hits.append(any(hit > 0 for hit, _ in member_hits))
        recalls.append(np.mean([hit / size for hit, size in member_hits]))
        everyone.append(all(hit > 0 for hit, _ in member_hits))
    count = len(entries)
    return GroupEvaluation(
        hit_rate=float(np.mean(hits)) if count else 0.0,
        member_recall=float(np.mean(recalls)) if count else 0.0,
        all_members_hit=float(np.mean(everyone)) if count else 0.0,
        groups=count,
    )
