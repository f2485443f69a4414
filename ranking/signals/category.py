"""The share of the user's visits in each category (category_you_like: category), known over every venue."""

from __future__ import annotations

import numpy as np

from ranking.world import NO_CATEGORY, World


def category_shares(world: World, venues) -> np.ndarray:
    """(categories + 1,) the share of the user's visited venues in each category; the last entry (for
    venues without a category, which NO_CATEGORY indexes) is 0."""
    categories = world.venue_category[venues]
    known = categories[categories != NO_CATEGORY]
    size = int(world.venue_category.max(initial=0)) + 2  # the last entry: venues without a category
    if len(known) == 0:
        return np.zeros(size, dtype=np.float32)
    share = np.bincount(known, minlength=size).astype(np.float32)[:size] / len(venues)
    share[-1] = 0.0
    return share
