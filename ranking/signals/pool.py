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

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ranking.geometry import km_from_dot, unit_vectors
from ranking.signals import SIGNAL_NAMES
from ranking.signals.category import category_shares
from ranking.signals.density import density_at, density_points, nearest_counted
from ranking.signals.factors import Factors, binary, bm25, bm25_row, factors_of, fit_factors
from ranking.signals.neighbours import neighbours
from ranking.signals.popularity import most_popular
from ranking.signals.social import friends_went
from ranking.topk import largest
from ranking.world import World, csr, sparse_row

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
NO_HOME_KM = 1e4  # the distance from home of every venue, for a user without a home


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
    most = most_popular(popularity, count)

    active = [row for row in range(len(users)) if len(liked[row])]
    dense: list[dict[str, np.ndarray]] = [{} for _ in users]  # signals over every venue, per user
    users_factors: dict[str, list[np.ndarray]] = {}  # name -> per seed, (active users, f)
    ranked: list[list[np.ndarray]] = [[] for _ in users]  # per user: candidates already picked
    if active:
        own = world.reference_rows(users[active])
        for name, (went, first) in neighbours(
            reference, [liked[row] for row in active], own, config["neighbours"]
        ).items():
            for index, row in enumerate(active):
                dense[row][name] = sparse_row(went, first + index)
        # The user's factors are folded in from their row (not taken from training): new likes count
        # at once, and on held-out visits this ranks better than the trained factors.
        for name, models in (("als", reference.factors), ("als_bm25", reference.bm25_factors)):
            if not models:
                continue
            rows = [
                (
                    liked[row],
                    liked_weights[row] if name == "als" else bm25_row(reference, liked[row], liked_weights[row]),
                )
                for row in active
            ]
            users_factors[name] = [model.users_factors(rows) for model in models]
            # The first seed ranks every venue: the best `pool` each user has not been to join the pool.
            best = models[0].best_venues(users_factors[name][0], [been[row] for row in active], min(pool, n_venues))
            for index, row in enumerate(active):
                ranked[row].append(best[index])
    for row, went in friends_went(world, reference.visits, users).items():
        dense[row]["friends"] = went

    # The density's points and the venues nearest each, for the batch at once.
    kde_points = [density_points(liked[row], liked_weights[row], config) for row in range(len(users))]
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
            density = density_at(world, kde_venues, kde_weights, kde_candidates, config)
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
        category_share = category_shares(world, liked[row])
        values = {name: np.zeros(len(scope), dtype=np.float64) for name in SIGNAL_NAMES}
        for name in ("uknn", "uknn_idf", "friends"):
            if name in dense[row]:
                values[name] = _sparse_at(*dense[row][name], scope, scratch)
        if row in offsets:
            for name, on_scopes in factorized.items():
                values[name] = on_scopes[offsets[row] : offsets[row] + len(scope)]
        if densities[row] is not None:
            values["kde"] = density_at(world, *densities[row], scope, config)
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


def _sparse_at(venues: np.ndarray, values: np.ndarray, at: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """A sparse row's values (float64) at the venues `at` (0 where it has none), by way of
    `scratch`, a (V,) array of zeros that is left as it was found."""
    scratch[venues] = values
    out = scratch[at].astype(np.float64)
    scratch[venues] = 0.0
    return out
