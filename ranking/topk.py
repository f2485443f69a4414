"""The one top-k of the ranking: the k best by score, ties broken the same way everywhere.

Score descending, then (when given) distance ascending, then `id_rank` ascending: the venue
nearer home, then the lower venue position (id order). Every list the ranking makes, served or
offline, and every pool of candidates a signal proposes, is chosen by it.
"""

from __future__ import annotations

import numpy as np


def top_k(score: np.ndarray, k: int, *, id_rank: np.ndarray, distance: np.ndarray | None = None) -> np.ndarray:
    """Positions of the k best candidates: score desc, then distance asc, then id rank asc.

    `id_rank` orders candidates by id (any integers that sort like the ids);
    NaN distances count as equal to each other. The k-th best score is found
    in linear time (`kth_largest`); only candidates scoring at least that much
    (k plus any ties at the boundary) are sorted.
    """
    count = score.shape[0]
    if k <= 0 or count == 0:
        return np.empty(0, dtype=np.intp)
    if k < count:
        candidates = np.flatnonzero(score >= kth_largest(score, k))
    else:
        candidates = np.arange(count)
    keys = [id_rank[candidates]]
    if distance is not None:
        keys.append(np.nan_to_num(distance[candidates], nan=0.0))
    keys.append(-score[candidates])
    order = np.lexsort(keys)  # the last key is the primary one
    return candidates[order[:k]]


def kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest of `values` (1 <= k < len(values); NaN counts as the smallest). The k-th largest
    of the first 8k values bounds it from below, so in a long array only the values that reach that
    bound are partitioned."""
    negated = -values
    if len(values) > 8 * k:
        bound = np.partition(negated[: 8 * k], k - 1)[k - 1]
        if not np.isnan(bound):
            negated = negated[negated <= bound]
    return float(-np.partition(negated, k - 1)[k - 1])


def largest(values: np.ndarray, count: int) -> np.ndarray:
    """Indexes of the `count` largest `values`, ascending; of equal values at the boundary, the first
    (top_k with the index as the id)."""
    return np.sort(top_k(values, count, id_rank=np.arange(len(values))))
