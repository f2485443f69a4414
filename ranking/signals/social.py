"""Friends' visits weighted by tie strength (friends_went: friends)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ranking.world import World, sparse_row


def friends_went(world: World, visits: sp.csr_matrix, users: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per row of `users` with friends: (venues, their friends' visits (`visits`: the reference population's)
    weighted by tie strength, over the user's total strength). Nothing without a social graph."""
    went_of: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    social = world.social
    if social is None:
        return went_of
    # A served world holds just its users' rows, in order: no need to index them out.
    own_rows = len(users) == social.shape[0] and np.array_equal(users, np.arange(len(users)))
    strengths = (social if own_rows else social[users]).astype(np.float32)
    totals = np.asarray(strengths.sum(axis=1)).ravel()
    with_friends = np.flatnonzero(totals > 0)
    if len(with_friends):
        went = (strengths[with_friends] @ visits).tocsr()
        for index, row in enumerate(with_friends.tolist()):
            venues, values = sparse_row(went, index)
            went_of[row] = (venues, values / totals[row])
    return went_of
