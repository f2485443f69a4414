"""Popularity (popular: popularity): distinct users with a like or interest, known over every venue."""

from __future__ import annotations

import numpy as np

from ranking.topk import top_k


def most_popular(popularity: np.ndarray, count: int) -> np.ndarray:
    """The `count` most popular venues (positions) with any popularity, most popular first, then by position."""
    most = top_k(popularity, count, id_rank=np.arange(len(popularity)))
    return most[popularity[most] > 0]
