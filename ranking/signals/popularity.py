"""Popularity (popular: popularity): distinct users with a like or interest, known over every venue."""

from __future__ import annotations

import numpy as np

from ranking.topk import any_top


def most_popular(popularity: np.ndarray, count: int) -> np.ndarray:
    """The `count` most popular venues (positions) with any popularity, most popular first, then by position
    (of equal popularity at the boundary, those `any_top` leaves)."""
    most = any_top(popularity, count)
    most = most[np.lexsort((most, -popularity[most]))]
    return most[popularity[most] > 0]
