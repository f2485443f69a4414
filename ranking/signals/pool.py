"""The learned ranker's signals: what a user's history says about the venues that can matter to them.

A user's signals are computed in two steps, the same offline and online:

1. the pool: the top `pool` venues (not been to) of each cheap-to-rank signal: the
   people most like the user (user-kNN, plain and idf-weighted), the factorizations
   (implicit ALS on visit counts and on BM25-weighted counts, the user folded in from
   their own row), friends' visits weighted by tie strength, the kernel density over
   the user's visited venues (its candidates: the venues nearest each visited one), the
   nearest to home and the most popular;
2. every signal on the scope, the pool plus what the user has been to, exactly.

The distance from home, popularity and the user's category shares are known over all
venues (they are cheap); the rest only on the scope, which is where the ranker looks.
Every signal is >= 0 and 0 where its input is missing (no friends, no categories, no
history), so a world without social relations or categories leaves those at 0.

- uknn, uknn_idf (people_like_you): the visits of the `neighbours` people most similar
  (cosine over who-visited-what; the same with idf weights) to the user;
- als, als_bm25 (people_like_you): the factorizations' scores, averaged over seeds (the
  first seed alone picks the pool: one product over every venue, the rest on the scope);
- kde (near_your_places): a Gaussian kernel density over the user's visited venues;
- friends (friends_went), category (category_you_like): the share of the user's visits
  in the venue's category; home_km (near_home); popularity (popular): distinct users.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from ranking.geometry import EARTH_RADIUS_KM, km_from_dot, unit_vectors
from ranking.topk import largest, top_k
from ranking.world import NO_CATEGORY, World, csr

DEFAULT_SIGNALS = {
    "neighbours": 100,  # user-kNN: neighbours kept
    "als": {"factors": 64, "regularization": 1.0, "alpha": 10.0, "iterations": 15, "seeds": 3},
    "als_bm25": {"factors": 64, "regularization": 1.0, "alpha": 1.0, "iterations": 15, "seeds": 3},
    "bm25": {"k1": 100.0, "b": 0.8},
    "kde_bandwidth_km": 1.0,  # Gaussian kernel over visited venues
    "kde_cut": 3.0,  # the kernel is 0 beyond cut x bandwidth
    "kde_points": 50,  # at most this many visited venues (the most visited, then the lowest position)
    "kde_candidates": 10,  # the density's pool candidates: this many venues nearest each visited one
}
SIGNAL_NAMES = ("uknn", "uknn_idf", "als", "als_bm25", "kde", "friends", "category", "home_km", "popularity")
NO_HOME_KM = 1e4  # the distance from home of every venue, for a user without a home


def binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    visits = matrix.tocsr().astype(np.float32, copy=True)
    visits.data[:] = 1.0
    visits.eliminate_zeros()
    return visits


def bm25(counts: sp.csr_matrix, *, k1: float, b: float, idf: np.ndarray, average_length: float) -> sp.csr_matrix:
    """BM25 weights of visit counts: rare venues and users with short histories weigh more."""
    counts = counts.tocsr().astype(np.float32, copy=True)
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    norm = (1.0 - b) + b * lengths / max(average_length, 1e-9)
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    tf = counts.data
    counts.data = (tf * (k1 + 1.0) / (k1 * norm[rows] + tf) * idf[counts.indices]).astype(np.float32)
    return counts


@dataclass(frozen=True)
class Factors:
    """One implicit-ALS model: its venue factors and what folding a user in needs. `rows` maps a
    world's venue positions to rows of `items` (-1: unknown to the model) when they are not in the
    world's order; None when they are.

    The first seed's items are kept by decreasing norm (best_venues reads them from the top):
    `by_norm` holds the venue, in the order the model was trained in, of each row, and every
    mapping here (rows, positions) is to and from those rows. Later seeds keep the trained order."""

    items: np.ndarray  # (V_model, f) float32 for the first seed (it ranks every venue), float16 after
    gram: np.ndarray  # items.T @ items, (f, f) float32
    regularization: float
    alpha: float
    rows: np.ndarray | None = None  # (V_world,) row of each world position
    positions: np.ndarray | None = None  # (V_model,) world position of each row, -1: gone
    by_norm: np.ndarray | None = None  # (V_model,) the trained-order venue of each row (first seed)
    sorted_norms: np.ndarray | None = None  # (V_model,) each row's norm, decreasing (first seed)

    def trained_items(self) -> np.ndarray:
        """The items in the order the model was trained in (what an artifact stores)."""
        if self.by_norm is None:
            return self.items
        return self.items[_inverse(self.by_norm)]

    def items_at(self, rows: np.ndarray) -> np.ndarray:
        """The factors of these rows, as float32."""
        items = self.items[rows]
        return items if items.dtype == np.float32 else widened(items)

    def users_factors(self, rows: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """(len(rows), f): for each user's (venues, weights), the factors that best explain their row:
        the exact least squares of implicit's ALS, whose confidence in a visit is alpha x its weight
        (and 1 for every venue not visited). The users' systems are built together, solved one by one."""
        size = self.items.shape[1]
        if self.rows is not None:
            rows = [
                (self.rows[venues][self.rows[venues] >= 0], weights[self.rows[venues] >= 0]) for venues, weights in rows
            ]
        longest = max((len(venues) for venues, _ in rows), default=0)
        if longest == 0:
            return np.zeros((len(rows), size), dtype=np.float32)
        # Padded to the longest row; a padding entry has confidence 1, which adds nothing below.
        venues = np.zeros((len(rows), longest), dtype=np.intp)
        confidence = np.ones((len(rows), longest), dtype=np.float32)
        for index, (row_venues, weights) in enumerate(rows):
            venues[index, : len(row_venues)] = row_venues
            confidence[index, : len(row_venues)] = self.alpha * weights.astype(np.float32)
        y = self.items_at(venues)  # (users, longest, f)
        systems = self.gram + np.matmul((y * (confidence - 1.0)[:, :, None]).transpose(0, 2, 1), y)
        systems[:, np.arange(size), np.arange(size)] += self.regularization
        padding = np.arange(longest)[None, :] >= np.array([len(v) for v, _ in rows])[:, None]
        right = np.einsum("ulf,ul->uf", y, np.where(padding, 0.0, confidence).astype(np.float32))
        factors = np.zeros((len(rows), size), dtype=np.float32)
        for index, (row_venues, _) in enumerate(rows):
            if len(row_venues) == 0:
                continue
            # Cholesky: the system is positive definite (the gram counts every venue once, so each gets
            # its confidence >= 0, plus the regularization); LU should rounding say otherwise. One
            # LAPACK call per user costs half of numpy's batched solve at this size.
            _, solution, info = lapack.sposv(systems[index], right[index])
            factors[index] = solution if info == 0 else np.linalg.solve(systems[index], right[index])
        return factors

    def best_venues(self, users: np.ndarray, been: list[np.ndarray], count: int) -> list[np.ndarray]:
        """For each row of factors (users, f), the world venues with the `count` highest positive scores
        among those not in its `been` (world positions): the same as ranking every venue. Most are
        never scored: venues are taken in blocks by decreasing norm, and since |u . i| <= |u| |i|, once
        the count-th best so far reaches |u| times the largest norm left, no venue left can enter.
        Within a block only the venues above a user's count-th best so far are looked at (in the first
        block, above the count-th best of its first few venues, which the block's own can only beat)."""
        if count <= 0:
            return [np.zeros(0, dtype=np.intp) for _ in range(len(users))]
        sorted_norms = self.sorted_norms
        size = len(sorted_norms)
        user_norms = np.linalg.norm(users.astype(np.float64), axis=1)
        been_rows = [venues if self.rows is None else self.rows[venues] for venues in been]
        been_rows = [known[known >= 0] for known in been_rows]  # the rows of the venues the model knows
        been_of = np.repeat(np.arange(len(users)), [len(rows) for rows in been_rows])
        been_rows = np.concatenate(been_rows) if been_rows else np.zeros(0, dtype=np.intp)
        best = [(np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.intp)) for _ in range(len(users))]
        floor = np.zeros(len(users), dtype=np.float32)  # a venue must score above it to enter
        pending = np.flatnonzero(user_norms > 0)
        start, block = 0, max(8 * count, 4096)
        while len(pending) and start < size:
            stop = min(start + block, size)
            scores = users[pending] @ self.items[start:stop].T  # (pending, block)
            if self.positions is not None:
                scores[:, self.positions[start:stop] < 0] = -np.inf  # venues the world no longer has
            slot = np.full(len(users), -1, dtype=np.intp)
            slot[pending] = np.arange(len(pending))
            hit = (been_rows >= start) & (been_rows < stop) & (slot[been_of] >= 0)
            scores[slot[been_of[hit]], been_rows[hit] - start] = -np.inf
            above = scores > floor[pending, None]
            if start == 0 and stop - start > 4 * count:  # the count-th best of the first venues: a lower bound
                first = np.partition(scores[:, : 4 * count], 3 * count, axis=1)[:, 3 * count]
                above &= scores >= first[:, None]
            left = float(sorted_norms[stop]) if stop < size else 0.0
            still = []
            for index, user in enumerate(pending.tolist()):
                columns = np.flatnonzero(above[index])
                kept_scores = np.concatenate([best[user][0], scores[index, columns]])
                kept_rows = np.concatenate([best[user][1], start + columns])
                if len(kept_scores) > count:
                    top = top_k(kept_scores, count, id_rank=kept_rows)
                    kept_scores, kept_rows = kept_scores[top], kept_rows[top]
                best[user] = (kept_scores, kept_rows)
                if len(kept_scores) == count:
                    floor[user] = kept_scores.min()
                if not (left == 0.0 or (len(kept_scores) == count and floor[user] >= user_norms[user] * left)):
                    still.append(user)
            pending = np.array(still, dtype=np.intp)
            start, block = stop, 2 * block
        return [rows if self.positions is None else self.positions[rows] for _, rows in best]

    def scores_on(self, users: np.ndarray, scopes: list[np.ndarray]) -> np.ndarray:
        """The model's score of the world venues `scopes[i]` for the user of row i of `users` (factors,
        one row per scope), the scopes one after another: one matrix-vector product per user."""
        out = []
        for factors, venues in zip(users, scopes, strict=True):
            if self.rows is None:
                out.append(self.items_at(venues) @ factors)
                continue
            rows = self.rows[venues]
            scores = self.items_at(np.maximum(rows, 0)) @ factors
            out.append(np.where(rows >= 0, scores, 0.0).astype(np.float32))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def aligned(self, rows: np.ndarray, positions: np.ndarray) -> Factors:
        """For a world whose venues are elsewhere: `rows` (V_world,) and `positions` (V_model,) map
        to and from the venues in the order the model was trained in (see Reference.aligned)."""
        if self.by_norm is None:
            return replace(self, rows=rows, positions=positions)
        rank = _inverse(self.by_norm)
        return replace(self, rows=np.where(rows >= 0, rank[np.maximum(rows, 0)], -1), positions=positions[self.by_norm])


_HALF_TO_SINGLE = np.float32(2.0**112)  # 2^(127 - 15): from float16's exponent bias to float32's


def widened(half: np.ndarray) -> np.ndarray:
    """float16 values as float32, exactly for every finite one, by moving their bits: the magnitude's
    bits shifted into place read as a float32 2^112 times too small (subnormals included), then the
    sign. Twice as fast as numpy's astype, which converts one value at a time. (An infinity or NaN
    would come out finite: factors_of refuses factors that do not fit a float16.)"""
    if half.dtype != np.float16:
        raise TypeError(f"widened() takes float16, not {half.dtype}")
    bits = half.view(np.uint16).astype(np.uint32)
    magnitude = ((bits & 0x7FFF) << 13).view(np.float32) * _HALF_TO_SINGLE
    return (magnitude.view(np.uint32) | ((bits & 0x8000) << 16)).view(np.float32)


def _inverse(permutation: np.ndarray) -> np.ndarray:
    """The permutation that undoes this one: inverse[permutation[i]] == i."""
    inverse = np.empty(len(permutation), dtype=np.int64)
    inverse[permutation] = np.arange(len(permutation))
    return inverse


def factors_of(items: np.ndarray, regularization: float, alpha: float, *, first: bool) -> Factors:
    """A model from its venue factors, kept in memory as float32 for the first seed and float16 after."""
    items = np.ascontiguousarray(items, dtype=np.float32)
    gram = items.T @ items
    if not first:
        if not (np.abs(items) <= np.finfo(np.float16).max).all():  # NaN too
            raise ValueError("venue factors beyond float16's range: the model cannot be kept (or stored)")
        return Factors(items=items.astype(np.float16), gram=gram, regularization=regularization, alpha=alpha)
    norms = np.linalg.norm(items.astype(np.float64), axis=1)
    by_norm = np.argsort(-norms, kind="stable")
    rank = _inverse(by_norm)
    return Factors(
        items=np.ascontiguousarray(items[by_norm]),
        gram=gram,
        regularization=regularization,
        alpha=alpha,
        rows=rank,
        positions=by_norm,
        by_norm=by_norm,
        sorted_norms=norms[by_norm],
    )


def fit_factors(weights: sp.csr_matrix, *, factors: int, regularization: float, alpha: float, iterations: int, seed):
    from implicit.cpu.als import AlternatingLeastSquares  # only training needs it
    from threadpoolctl import threadpool_limits

    # implicit runs its own threads; BLAS threads on top of them only get in each other's way.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            random_state=seed,
            num_threads=2,
            calculate_training_loss=False,
        )
        model.fit(weights.astype(np.float32), show_progress=False)
    return model.item_factors


@dataclass(frozen=True)
class Reference:
    """What signals need beyond the user's own row: the visits of the training population and its factors."""

    visits: sp.csr_matrix  # (P, V) 1 where a person of the population has been
    visits_t: sp.csr_matrix  # (V, P)
    norms: np.ndarray  # (P,) for cosine
    idf: np.ndarray  # (V,) log(P / visitors)
    idf_norms: np.ndarray  # (P,) for idf-cosine
    bm25_idf: np.ndarray  # (V,) log(P) - log(1 + visitors)
    bm25_average_length: float
    factors: list[Factors]  # ALS on visit counts, one per seed
    bm25_factors: list[Factors]  # ALS on BM25-weighted counts, one per seed
    config: dict

    @classmethod
    def of(cls, visits: sp.csr_matrix, *, bm25_average_length: float, factors, bm25_factors, config) -> Reference:
        """A reference from the population's visits (1 where someone has been), deriving the rest."""
        visits = visits.tocsr().astype(np.float32)
        people = max(visits.shape[0], 1)
        visitors = np.diff(visits.tocsc().indptr)
        idf = np.log(people / np.maximum(visitors, 1)).astype(np.float32)
        return cls(
            bm25_idf=(np.log(float(people)) - np.log1p(visitors)).astype(np.float32),
            visits=visits,
            visits_t=visits.T.tocsr(),
            norms=np.sqrt(np.diff(visits.indptr)).astype(np.float32),
            idf=idf,
            idf_norms=np.sqrt(np.asarray(visits @ (idf**2)).ravel()).astype(np.float32),
            bm25_average_length=bm25_average_length,
            factors=factors,
            bm25_factors=bm25_factors,
            config=config,
        )

    @classmethod
    def fit(cls, history: sp.csr_matrix, config: dict, *, seed: int = 0) -> Reference:
        visits = binary(history)
        counts = history.tocsr().astype(np.float32)
        average_length = float(np.asarray(counts.sum(axis=1)).ravel().mean()) if counts.shape[0] else 0.0
        visitors = np.diff(visits.tocsc().indptr)
        bm25_idf = (np.log(float(max(visits.shape[0], 1))) - np.log1p(visitors)).astype(np.float32)
        weighted = bm25(counts, **config["bm25"], idf=bm25_idf, average_length=average_length)

        def factorize(matrix, settings) -> list[Factors]:
            settings = dict(settings)
            seeds = settings.pop("seeds")
            return [
                factors_of(
                    fit_factors(matrix, **settings, seed=seed * 1000 + index),
                    settings["regularization"],
                    settings["alpha"],
                    first=index == 0,
                )
                for index in range(seeds)
            ]

        return cls.of(
            visits,
            bm25_average_length=average_length,
            factors=factorize(counts, config["als"]),
            bm25_factors=factorize(weighted, config["als_bm25"]),
            config=config,
        )

    def aligned(self, positions: np.ndarray, n_venues: int) -> Reference:
        """This reference for a world whose venues are elsewhere: positions[i] is where venue i
        is now (-1 when it is gone), among `n_venues`. Venues it never saw get no visits and no
        factors. The factors are not copied: they learn to translate positions."""
        if len(positions) == n_venues and np.array_equal(positions, np.arange(n_venues)):
            return self
        known = positions >= 0
        visits = self.visits.tocoo()
        keep = known[visits.col]
        moved = csr(visits.row[keep], positions[visits.col[keep]], visits.data[keep], (visits.shape[0], n_venues))
        rows = np.full(n_venues, -1, dtype=np.int64)
        rows[positions[known]] = np.flatnonzero(known)
        return Reference.of(
            moved,
            bm25_average_length=self.bm25_average_length,
            factors=[model.aligned(rows, positions) for model in self.factors],
            bm25_factors=[model.aligned(rows, positions) for model in self.bm25_factors],
            config=self.config,
        )


@dataclass(frozen=True)
class UserSignals:
    """One user's signals: over every venue where they are cheap, over the scope for the rest."""

    home: np.ndarray | None  # (3,) the home on the unit sphere; None without one
    nearest_km: float  # how far the venue nearest home is (NO_HOME_KM without a home)
    # (categories + 1,) the share of the user's visits in each category; the last entry, 0, is
    # for venues without one (NO_CATEGORY indexes it), so category_share[venue_category] is (V,).
    category_share: np.ndarray
    scope: np.ndarray  # (S,) venue positions, ascending: the pool and what the user has been to
    in_pool: np.ndarray  # (S,) bool: the candidates
    values: dict[str, np.ndarray]  # every name of SIGNAL_NAMES -> (S,) its value on the scope

    def km_at(self, points: np.ndarray, positions=slice(None)) -> np.ndarray:
        """km from home of the venues at `positions` (all by default), NO_HOME_KM without a home.
        Element by element, so a venue's distance is the same number whichever venues are asked for."""
        if self.home is None:
            return np.full(len(points[positions]), NO_HOME_KM)
        at = points[positions]
        return km_from_dot(at[:, 0] * self.home[0] + at[:, 1] * self.home[1] + at[:, 2] * self.home[2])


def users_signals(world: World, reference: Reference, users: np.ndarray, *, pool: int) -> list[UserSignals]:
    """The signals of `world`'s `users`, as described in the module docstring, one per user.

    The products over every venue and every person (the factorizations' first seed, user-kNN,
    friends, the distance from home) are made for the whole batch at once; what the scope's
    values are made of is computed per user, so a user's signals do not depend on the batch."""
    config = reference.config
    users = np.asarray(users, dtype=np.intp)
    n_venues = world.n_venues
    pool = min(pool, n_venues)
    points = world.venue_points
    interactions, positive = world.interactions, world.positive

    been = [interactions.indices[interactions.indptr[user] : interactions.indptr[user + 1]] for user in users]
    liked, liked_weights = [], []
    for user in users.tolist():
        venues = positive.indices[positive.indptr[user] : positive.indptr[user + 1]]
        weights = positive.data[positive.indptr[user] : positive.indptr[user + 1]].astype(np.float32)
        liked.append(venues[weights > 0])
        liked_weights.append(weights[weights > 0])
    longest = max((len(venues) for venues in been), default=0)
    count = min(pool + longest, n_venues)

    # Nearest home: the nearest few venues, for the batch at once.
    has_home = world.has_home(users)
    homes: list[np.ndarray | None] = [None] * len(users)
    nearest_home: list[np.ndarray | None] = [None] * len(users)
    nearest_km = np.full(len(users), NO_HOME_KM)
    if has_home.any():
        points_of_homes = unit_vectors(world.home_lat[users[has_home]], world.home_lng[users[has_home]])
        chords, nearest = world.venue_tree.query(points_of_homes.reshape(-1, 3), k=count)
        chords, nearest = chords.reshape(len(points_of_homes), -1), nearest.reshape(len(points_of_homes), -1)
        for index, row in enumerate(np.flatnonzero(has_home).tolist()):
            homes[row], nearest_home[row] = points_of_homes.reshape(-1, 3)[index], nearest[index]
            nearest_km[row] = km_from_dot(1.0 - chords[index, 0] ** 2 / 2.0)
    popularity = world.popularity
    most = top_k(popularity, count, id_rank=np.arange(n_venues))  # most popular first, then position
    most = most[popularity[most] > 0]

    active = [row for row in range(len(users)) if len(liked[row])]
    dense: list[dict[str, np.ndarray]] = [{} for _ in users]  # signals over every venue, per user
    users_factors: dict[str, list[np.ndarray]] = {}  # name -> per seed, (active users, f)
    ranked: list[list[np.ndarray]] = [[] for _ in users]  # per user: candidates already picked
    if active:
        own = world.reference_rows(users[active])
        for name, (went, first) in _neighbours(
            reference, [liked[row] for row in active], own, config["neighbours"]
        ).items():
            for index, row in enumerate(active):
                dense[row][name] = _row(went, first + index)
        # The user's factors are folded in from their row (not taken from training): new likes count
        # at once, and on held-out visits this ranks better than the trained factors.
        for name, models in (("als", reference.factors), ("als_bm25", reference.bm25_factors)):
            if not models:
                continue
            rows = [
                (
                    liked[row],
                    liked_weights[row] if name == "als" else _bm25_row(reference, liked[row], liked_weights[row]),
                )
                for row in active
            ]
            users_factors[name] = [model.users_factors(rows) for model in models]
            # The first seed ranks every venue: the best `pool` each user has not been to join the pool.
            best = models[0].best_venues(users_factors[name][0], [been[row] for row in active], min(pool, n_venues))
            for index, row in enumerate(active):
                ranked[row].append(best[index])
    social = world.social
    if social is not None:
        # A served world holds just its users' rows, in order: no need to index them out.
        own_rows = len(users) == social.shape[0] and np.array_equal(users, np.arange(len(users)))
        strengths = (social if own_rows else social[users]).astype(np.float32)
        totals = np.asarray(strengths.sum(axis=1)).ravel()
        with_friends = np.flatnonzero(totals > 0)
        if len(with_friends):
            went = (strengths[with_friends] @ reference.visits).tocsr()
            for index, row in enumerate(with_friends.tolist()):
                venues, values = _row(went, index)
                dense[row]["friends"] = (venues, values / totals[row])

    # The density's points and the venues nearest each, for the batch at once.
    kde_points = [_kde_points(liked[row], liked_weights[row], config) for row in range(len(users))]
    kde_offsets = np.r_[0, np.cumsum([len(venues) for venues, _ in kde_points])]
    kde_near = np.zeros((0, 1), dtype=np.intp)
    if kde_offsets[-1]:
        every_point = np.concatenate([venues for venues, _ in kde_points])
        kde_near = world.venue_nearest.of(every_point, nearest_counted(config, n_venues))

    scratch = np.zeros(n_venues, dtype=np.float32)
    pools, scopes, densities = [], [], []  # per user: the pool, the scope, the density's points
    for row in range(len(users)):
        been_mask = np.zeros(n_venues, dtype=bool)
        been_mask[been[row]] = True
        venues, weights = liked[row], liked_weights[row]
        candidates = [_first_not_been(most, been_mask, pool), *ranked[row]]
        kde = None
        if nearest_home[row] is not None:
            candidates.append(_first_not_been(nearest_home[row], been_mask, pool))
        for values in dense[row].values():
            candidates.append(_best_not_been(values, been_mask, pool))
        if len(venues):
            kde_venues, kde_weights = kde_points[row]
            kde_candidates = np.unique(kde_near[kde_offsets[row] : kde_offsets[row + 1]])
            kde_candidates = kde_candidates[~been_mask[kde_candidates]]
            density = _density(world, kde_venues, kde_weights, kde_candidates, config)
            kept = density > 0
            kde_candidates, density = kde_candidates[kept], density[kept]
            if len(kde_candidates) > pool:
                kde_candidates = kde_candidates[largest(density, pool)]
            candidates.append(kde_candidates)
            kde = (kde_venues, kde_weights)

        in_pool = np.unique(np.concatenate(candidates)).astype(np.intp)
        pools.append(in_pool)
        scopes.append(np.union1d(in_pool, been[row]).astype(np.intp))
        densities.append(kde)

    # The factorizations on the scopes of the users with factors (user by user, so the same in any batch).
    active_scopes = [scopes[row] for row in active]
    factorized: dict[str, np.ndarray] = {}  # name -> the scopes of `active`, one after another
    for name, models in (("als", reference.factors), ("als_bm25", reference.bm25_factors)):
        if name not in users_factors:
            continue
        total = np.zeros(sum(len(scope) for scope in active_scopes), dtype=np.float64)
        for model, active_factors in zip(models, users_factors[name], strict=True):
            total += model.scores_on(active_factors, active_scopes)
        factorized[name] = np.maximum(total / len(models), 0.0)
    starts = np.cumsum([0, *(len(scope) for scope in active_scopes)])[:-1]
    offsets = dict(zip(active, starts.tolist(), strict=True))  # where each active user's scope starts

    signals = []
    for row, scope in enumerate(scopes):
        category_share = _category_share(world, liked[row])
        values = {name: np.zeros(len(scope), dtype=np.float64) for name in SIGNAL_NAMES}
        for name in ("uknn", "uknn_idf", "friends"):
            if name in dense[row]:
                values[name] = _sparse_at(*dense[row][name], scope, scratch)
        if row in offsets:
            for name, on_scopes in factorized.items():
                values[name] = on_scopes[offsets[row] : offsets[row] + len(scope)]
        if densities[row] is not None:
            values["kde"] = _density(world, *densities[row], scope, config)
        values["category"] = category_share[world.venue_category[scope]].astype(np.float64)
        values["popularity"] = popularity[scope].astype(np.float64)
        one = UserSignals(
            home=homes[row],
            nearest_km=float(nearest_km[row]),
            category_share=category_share,
            scope=scope,
            in_pool=np.isin(scope, pools[row], assume_unique=True),
            values=values,
        )
        values["home_km"] = one.km_at(points, scope)
        signals.append(one)
    return signals


def nearest_counted(config: dict, n_venues: int) -> int:
    """How many of the venues nearest each visited one the density's pool looks at (`kde_candidates`,
    at most every venue): the k that `World.venue_nearest` is asked for."""
    return min(config["kde_candidates"], n_venues)


def _first_not_been(ordered: np.ndarray, been: np.ndarray, count: int) -> np.ndarray:
    return ordered[~been[ordered]][:count]


def _best_not_been(values, been: np.ndarray, count: int) -> np.ndarray:
    """The `count` venues with the highest positive values among those not been to (ties as in
    `ranking.topk.largest`). `values` is (V,) or, sparse, (venues, their values)."""
    if isinstance(values, tuple):
        venues, values = values
        keep = (values > 0) & ~been[venues]
        eligible, values = venues[keep], values[keep]
        return eligible[largest(values, count)]
    eligible = np.flatnonzero(values > 0)
    eligible = eligible[~been[eligible]]
    return eligible[largest(values[eligible], count)]


def _row(matrix: sp.csr_matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    """(venues, values) of a row of a sparse matrix."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    return matrix.indices[start:end], matrix.data[start:end]


def _sparse_at(venues: np.ndarray, values: np.ndarray, at: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """A sparse row's values (float64) at the venues `at` (0 where it has none), by way of
    `scratch`, a (V,) array of zeros that is left as it was found."""
    scratch[venues] = values
    out = scratch[at].astype(np.float64)
    scratch[venues] = 0.0
    return out


def _neighbours(
    reference: Reference, liked: list[np.ndarray], own: np.ndarray, count: int
) -> dict[str, tuple[sp.csr_matrix, int]]:
    """User-kNN, plain and idf-weighted, for a batch of users (their liked venues; `own`: their rows in
    the reference, -1 when not in it): the visits of the `count` people most similar (cosine) to each
    user, weighted by that similarity. {"uknn": (went, 0), "uknn_idf": (went, len(liked))}: one sparse
    (2 x users, V) matrix, each kind's rows from the offset given."""
    lengths = np.array([len(venues) for venues in liked])
    columns = np.concatenate(liked)
    rows = np.repeat(np.arange(len(liked)), lengths)
    people = reference.visits.shape[0]
    # Who shares each liked venue, counted straight into a (users x people) grid: both kinds from
    # one list of (user, person) pairs, the plain weight 1 per shared venue, the idf one idf^2.
    visitors = reference.visits_t[columns]
    shared = np.diff(visitors.indptr)
    cells = np.repeat(rows * people, shared) + visitors.indices
    idf_squared = reference.idf[columns].astype(np.float64) ** 2
    plain = np.bincount(cells, minlength=len(liked) * people).reshape(len(liked), people)
    weighted = np.bincount(cells, weights=np.repeat(idf_squared, shared), minlength=len(liked) * people)
    similarity = np.concatenate([plain.astype(np.float64), weighted.reshape(len(liked), people)])
    idf_totals = np.bincount(rows, weights=idf_squared, minlength=len(liked))
    similarity[: len(liked)] /= np.sqrt(lengths)[:, None] * np.maximum(reference.norms, 1e-12)[None, :]
    similarity[len(liked) :] /= (
        np.sqrt(np.maximum(idf_totals, 1e-12))[:, None] * np.maximum(reference.idf_norms, 1e-12)[None, :]
    )
    went = _visits_of_nearest(reference, similarity, np.concatenate([own, own]), count)
    return {"uknn": (went, 0), "uknn_idf": (went, len(liked))}


def _visits_of_nearest(reference: Reference, similarity: np.ndarray, own: np.ndarray, count: int) -> sp.csr_matrix:
    """(users, V) sparse: per row of `similarity` (users, people), the visits of its `count` most similar people."""
    users, people = similarity.shape
    known = own >= 0
    similarity[np.flatnonzero(known), own[known]] = 0.0  # not one's own neighbour
    nearest = []  # per row, the people kept (ascending): the most similar, ties to the lowest rows
    for values in similarity:
        positive = np.flatnonzero(values > 0)
        nearest.append(positive[largest(values[positive], count)])
    kept = np.concatenate(nearest)
    weights = sp.csr_matrix(
        (
            similarity[np.repeat(np.arange(users), [len(row) for row in nearest]), kept].astype(np.float32),
            kept,
            np.r_[0, np.cumsum([len(row) for row in nearest])],
        ),
        shape=(users, people),
    )
    return (weights @ reference.visits).tocsr()


def _bm25_row(reference: Reference, venues, weights) -> np.ndarray:
    """The user's row weighted as the BM25 factorization was trained on (see `bm25`)."""
    k1, b = reference.config["bm25"]["k1"], reference.config["bm25"]["b"]
    norm = (1.0 - b) + b * weights.sum() / max(reference.bm25_average_length, 1e-9)
    return (weights * (k1 + 1.0) / (k1 * norm + weights) * reference.bm25_idf[venues]).astype(np.float32)


def _kde_points(venues: np.ndarray, weights: np.ndarray, config: dict) -> tuple[np.ndarray, np.ndarray]:
    """The visited venues the density is made of: the `kde_points` most visited, then the lowest positions."""
    limit = config["kde_points"]
    if len(venues) > limit:
        order = np.lexsort((venues, -weights))[:limit]
        venues, weights = venues[order], weights[order]
    return venues, weights


def _density(world: World, venues, weights, at: np.ndarray, config: dict) -> np.ndarray:
    """At the venues `at`: the mean over the visited `venues` (weighted by visits) of
    exp(-d^2 / 2h^2), 0 beyond cut x h."""
    if len(at) == 0:
        return np.zeros(0)
    bandwidth = config["kde_bandwidth_km"]
    cut = config["kde_cut"] * bandwidth
    points = world.venue_points
    dot = points[at] @ points[venues].T  # (at, visited)
    # Most pairs are beyond the cut: measure only those whose dot product says they may be within it
    # (the margin covers rounding; the distance itself decides).
    near = np.nonzero(dot >= np.cos(min(cut / EARTH_RADIUS_KM, np.pi)) - 1e-9)
    distance = km_from_dot(dot[near])
    kernel = np.zeros_like(dot)
    kernel[near] = np.where(distance <= cut, np.exp(-0.5 * (distance / bandwidth) ** 2), 0.0)
    return kernel @ (weights / weights.sum()).astype(np.float64)


def _category_share(world: World, venues) -> np.ndarray:
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
