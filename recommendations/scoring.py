"""The recommendation formulas as pure functions over numpy float64 arrays.

No Django here: the same features can feed a learned model later. The seed
formulas: venue = w_spatial * exp(-decay * d) + w_preference * min(1, per_positive * n_pos
+ dwell / scale) + w_popularity * pop / max(pop); person = w_strength * strength +
w_direct * direct + w_category * category. The constants come from settings.LUNA_RECO
and are passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def spatial_feature(distance_km: np.ndarray, *, decay_per_km: float) -> np.ndarray:
    """exp(-decay * d); NaN distances (no home location) give 0."""
    spatial = np.exp(-decay_per_km * distance_km)
    return np.where(np.isnan(distance_km), 0.0, spatial)


def preference_feature(
    positive_count: np.ndarray, dwell_seconds: np.ndarray, *, per_positive: float, dwell_scale_seconds: float
) -> np.ndarray:
    """min(1, per_positive * n_pos + dwell / dwell_scale): used for preference, direct and category."""
    return np.minimum(
        1.0,
        per_positive * np.asarray(positive_count, dtype=np.float64)
        + np.asarray(dwell_seconds, dtype=np.float64) / dwell_scale_seconds,
    )


def popularity_feature(positive_counts: np.ndarray, *, max_count: float) -> np.ndarray:
    """pop(v) / max over all venues of pop, or 0 everywhere when that max is 0."""
    counts = np.asarray(positive_counts, dtype=np.float64)
    if max_count <= 0:
        return np.zeros_like(counts)
    return counts / float(max_count)


def venue_score(
    spatial: np.ndarray, preference: np.ndarray, popularity: np.ndarray, *, weights: Mapping[str, float]
) -> np.ndarray:
    return weights["spatial"] * spatial + weights["preference"] * preference + weights["popularity"] * popularity


def people_score(
    strength: np.ndarray, direct: np.ndarray, category: np.ndarray, *, weights: Mapping[str, float]
) -> np.ndarray:
    return weights["strength"] * strength + weights["direct"] * direct + weights["category"] * category


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
