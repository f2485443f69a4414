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
