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

from luna.geo import km_from_dot, unit_vectors
from recommendations.engine.world import NO_CATEGORY, World, csr

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
    """One implicit-ALS model: its venue factors (rows in the order it was trained in) and what
    folding a user in needs. `rows` maps a world's venue positions to those rows (-1: unknown to
    the model) when the world orders its venues differently; None when it is the same order."""

    items: np.ndarray  # (V_model, f) float32 for the first seed (it ranks every venue), float16 after
    gram: np.ndarray  # items.T @ items, (f, f) float32
    regularization: float
    alpha: float
    rows: np.ndarray | None = None  # (V_world,) model row of each world position
    positions: np.ndarray | None = None  # (V_model,) world position of each model row, -1: gone

    def user_factors(self, venues: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The user's factors that best explain their row: the exact least squares of implicit's ALS,
        whose confidence in a visit is alpha x its weight (and 1 for every venue not visited)."""
        if self.rows is not None:
            venues = self.rows[venues]
            weights = weights[venues >= 0]
            venues = venues[venues >= 0]
        if len(venues) == 0:
            return np.zeros(self.items.shape[1], dtype=np.float32)
        y = self.items[venues].astype(np.float32)
        confidence = self.alpha * weights.astype(np.float32)
        system = self.gram + (y * (confidence - 1.0)[:, None]).T @ y
        system[np.diag_indices_from(system)] += self.regularization
        return np.linalg.solve(system, (y * confidence[:, None]).sum(axis=0)).astype(np.float32)

    def scores(self, user: np.ndarray, n_venues: int) -> np.ndarray:
        """(n_venues,) the model's score of every world venue (0 for venues it does not know)."""
        scores = self.items @ user
        if self.positions is None:
            return scores
        out = np.zeros(n_venues, dtype=np.float32)
        known = self.positions >= 0
        out[self.positions[known]] = scores[known]
        return out

    def scores_at(self, user: np.ndarray, venues: np.ndarray) -> np.ndarray:
        """The model's scores of these world venues."""
        if self.rows is None:
            return self.items[venues].astype(np.float32) @ user
        rows = self.rows[venues]
        return np.where(rows >= 0, self.items[np.maximum(rows, 0)].astype(np.float32) @ user, 0.0)

    def aligned(self, rows: np.ndarray | None, positions: np.ndarray | None) -> Factors:
        return Factors(self.items, self.gram, self.regularization, self.alpha, rows, positions)


def factors_of(items: np.ndarray, regularization: float, alpha: float, *, first: bool) -> Factors:
    """A model from its venue factors, kept in memory as float32 for the first seed and float16 after."""
    items = np.ascontiguousarray(items, dtype=np.float32)
    return Factors(
        items=items if first else items.astype(np.float16),
        gram=items.T @ items,
        regularization=regularization,
        alpha=alpha,
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

    home_km: np.ndarray  # (V,) km from home, NO_HOME_KM for a user without one
    category: np.ndarray  # (V,) the share of the user's visits in each venue's category
    scope: np.ndarray  # (S,) venue positions, ascending: the pool and what the user has been to
    in_pool: np.ndarray  # (S,) bool: the candidates
    values: dict[str, np.ndarray]  # every name of SIGNAL_NAMES -> (S,) its value on the scope


def user_signals(world: World, reference: Reference, user: int, *, pool: int) -> UserSignals:
    """The signals of `world`'s user `user`, as described in the module docstring."""
    config = reference.config
    n_venues = world.n_venues
    pool = min(pool, n_venues)
    points = world.venue_points

    interactions = world.interactions
    been = interactions.indices[interactions.indptr[user] : interactions.indptr[user + 1]]
    been_mask = np.zeros(n_venues, dtype=bool)
    been_mask[been] = True
    positive = world.positive
    venues = positive.indices[positive.indptr[user] : positive.indptr[user + 1]]
    weights = positive.data[positive.indptr[user] : positive.indptr[user + 1]].astype(np.float32)
    venues, weights = venues[weights > 0], weights[weights > 0]

    candidates: list[np.ndarray] = []
    dense: dict[str, np.ndarray] = {}  # signals computed over every venue along the way
    if world.has_home(np.array([user]))[0]:
        home = unit_vectors(world.home_lat[user], world.home_lng[user])
        home_km = km_from_dot(points @ home)
        _, nearest = world.venue_tree.query(home, k=min(pool + len(been), n_venues))
        candidates.append(_first_not_been(np.atleast_1d(nearest), been_mask, pool))
    else:
        home_km = np.full(n_venues, NO_HOME_KM)
    popularity = world.popularity
    count = min(pool + len(been), n_venues)
    most = np.argpartition(-popularity, count - 1)[:count] if count < n_venues else np.arange(n_venues)
    most = most[np.lexsort((most, -popularity[most]))]
    candidates.append(_first_not_been(most[popularity[most] > 0], been_mask, pool))

    users_factors: dict[str, list[np.ndarray]] = {}
    kde_candidates = np.zeros(0, dtype=np.intp)
    if len(venues):
        own = int(world.reference_rows(np.array([user]))[0])
        dense["uknn"], dense["uknn_idf"] = _neighbours(reference, venues, own, config["neighbours"])
        # The user's factors are folded in from their row (not taken from training): new likes count
        # at once, and on held-out visits this ranks better than the trained factors.
        bm25_weights = _bm25_row(reference, venues, weights)
        for name, models, row_weights in (
            ("als", reference.factors, weights),
            ("als_bm25", reference.bm25_factors, bm25_weights),
        ):
            users_factors[name] = [model.user_factors(venues, row_weights) for model in models]
            if models:
                dense[name] = models[0].scores(users_factors[name][0], n_venues)
        kde_venues, kde_weights = _kde_points(venues, weights, config)
        _, near = world.venue_tree.query(points[kde_venues], k=min(config["kde_candidates"], n_venues))
        kde_candidates = np.unique(near)
        kde_candidates = kde_candidates[~been_mask[kde_candidates]]
    social = world.social
    if social is not None:
        friends = social.indices[social.indptr[user] : social.indptr[user + 1]]
        strengths = social.data[social.indptr[user] : social.indptr[user + 1]].astype(np.float32)
        if len(friends) and strengths.sum() > 0:
            dense["friends"] = np.asarray(reference.visits[friends].T @ strengths).ravel() / strengths.sum()
    for values in dense.values():
        candidates.append(_best_not_been(values, been_mask, pool))
    if len(kde_candidates):
        density = _density(world, kde_venues, kde_weights, kde_candidates, config)
        kept = density > 0
        kde_candidates, density = kde_candidates[kept], density[kept]
        if len(kde_candidates) > pool:
            kde_candidates = kde_candidates[np.argpartition(-density, pool - 1)[:pool]]
        candidates.append(kde_candidates)

    in_pool = np.unique(np.concatenate(candidates)).astype(np.intp)
    scope = np.union1d(in_pool, been).astype(np.intp)
    category = _category_share(world, venues)
    values = {name: np.zeros(len(scope), dtype=np.float64) for name in SIGNAL_NAMES}
    for name in ("uknn", "uknn_idf", "friends"):
        if name in dense:
            values[name] = dense[name][scope].astype(np.float64)
    for name, models in (("als", reference.factors), ("als_bm25", reference.bm25_factors)):
        if name in users_factors and models:
            total = dense[name][scope].astype(np.float64)
            for model, factors in zip(models[1:], users_factors[name][1:], strict=True):
                total += model.scores_at(factors, scope)
            values[name] = np.maximum(total / len(models), 0.0)
    if len(venues):
        values["kde"] = _density(world, kde_venues, kde_weights, scope, config)
    values["category"] = category[scope].astype(np.float64)
    values["home_km"] = home_km[scope]
    values["popularity"] = popularity[scope].astype(np.float64)
    return UserSignals(
        home_km=home_km,
        category=category,
        scope=scope,
        in_pool=np.isin(scope, in_pool, assume_unique=True),
        values=values,
    )


def _first_not_been(ordered: np.ndarray, been: np.ndarray, count: int) -> np.ndarray:
    return ordered[~been[ordered]][:count]


def _best_not_been(values: np.ndarray, been: np.ndarray, count: int) -> np.ndarray:
    """The `count` venues with the highest positive values among those not been to."""
    eligible = np.flatnonzero(values > 0)
    eligible = eligible[~been[eligible]]
    if len(eligible) > count:
        eligible = eligible[np.argpartition(-values[eligible], count - 1)[:count]]
    return eligible


def _neighbours(reference: Reference, venues, own: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """User-kNN, plain and idf-weighted: the visits of the `count` people most similar (cosine) to
    the user, each weighted by that similarity. Two (V,) arrays."""
    rows = reference.visits_t[venues]  # (user's venues, people)
    idf_squared = reference.idf[venues] ** 2
    plain = np.asarray(rows.sum(axis=0)).ravel() / (np.sqrt(len(venues)) * np.maximum(reference.norms, 1e-12))
    weighted = np.asarray(rows.T @ idf_squared).ravel() / (
        np.sqrt(max(float(idf_squared.sum()), 1e-12)) * np.maximum(reference.idf_norms, 1e-12)
    )
    return _visits_of_nearest(reference, plain, own, count), _visits_of_nearest(reference, weighted, own, count)


def _visits_of_nearest(reference: Reference, similarity: np.ndarray, own: int, count: int) -> np.ndarray:
    if own >= 0:
        similarity[own] = 0.0  # not one's own neighbour
    count = min(count, len(similarity))
    nearest = np.argpartition(-similarity, count - 1)[:count] if count < len(similarity) else np.arange(count)
    nearest = nearest[similarity[nearest] > 0]
    return np.asarray(reference.visits[nearest].T @ similarity[nearest].astype(np.float32)).ravel()


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
    points = world.venue_points
    distance = km_from_dot(points[at] @ points[venues].T)  # (at, visited)
    kernel = np.where(distance <= config["kde_cut"] * bandwidth, np.exp(-0.5 * (distance / bandwidth) ** 2), 0.0)
    return kernel @ (weights / weights.sum()).astype(np.float64)


def _category_share(world: World, venues) -> np.ndarray:
    """(V,) the share of the user's visited venues in each venue's category (0 without one)."""
    categories = world.venue_category[venues]
    known = categories[categories != NO_CATEGORY]
    size = int(world.venue_category.max(initial=0)) + 2  # the last entry: venues without a category
    if len(known) == 0:
        return np.zeros(world.n_venues, dtype=np.float32)
    share = np.bincount(known, minlength=size).astype(np.float32)[:size] / len(venues)
    share[-1] = 0.0
    return share[np.where(world.venue_category == NO_CATEGORY, size - 1, world.venue_category)]
