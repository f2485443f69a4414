"""The learned ranker: the signals of ranking.signals, combined with weights fitted on held-out visits.

Fitting uses only the history it is given (the train part of a split, or everything
the database holds), so `train_ranker` and `evaluate --rankers learned` do exactly
the same thing:

1. hold out a random quarter of each user's venues (fixed seed; users with at least
   two; never the venue their home is; at least one kept);
2. compute every signal on the rest, for at most `max_fit_users` users;
3. per user, the candidates are the pool (see signals): the top `pool` venues of each
   signal, nearest home and most popular included, minus what they have been to;
4. fit a listwise softmax over each user's pool (linear in the transformed signals,
   L2-penalized, L-BFGS): the held-out venues should come first;
5. fit the signals' reference (visits, factorizations) again on the whole history,
   and score with the learned weights.

The inputs of the combiner are scale-free: each signal over its per-user maximum
(over the scope; over every venue for the signals known everywhere), and log(1 + that
over a floor), both 0 where the signal is 0; the distance from home as log(1 + km).
The combiner is monotone (DIRECTION): the weights of every "more is better" signal's
inputs are >= 0 and the distance's <= 0 (bounds in the fit), so a venue's score can only
rise with each of those signals and only fall with the distance. The score of a venue is
the sum of the weighted inputs, so each group of inputs is also that venue's
explanation: its contribution, relative to the user's baseline (ranking.rankers): every
"more is better" group's inputs are 0 where its signal is 0, so its contribution is the
group's part of the score (>= 0); near_home's is its part less the part at the user's
median distance from home. Venues outside a user's pool rank after it, by the
same sum with what is known of them everywhere (home, popularity, category) and the
other signals at 0, less OUTSIDE_POOL (the contribution `not_a_candidate`).

The served score (`readable_scale`): 0 for the farthest venue on Earth with every other
signal at 0, 1 next door with every signal at the user's best; in between, affine in the
score, the same map for every user of a version. Venues outside the pool are served at 0.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from ranking.geometry import EARTH_RADIUS_KM
from ranking.rankers import OUTSIDE, FormulaRanker, Ranker, Scored
from ranking.signals import DIRECTION, GROUPS, INPUT_NAMES, transforms
from ranking.signals.factors import factors_of
from ranking.signals.pool import DEFAULT_SIGNALS, Reference, UserSignals, users_signals
from ranking.world import World, csr

SIGNAL_CELLS = 4_000_000  # users x venues per batch of signals (a few such float arrays at once)
# The fit's report ranks at most this many user x venue cells per ranker (fewer users in a large catalogue).
REPORT_CELLS = 25_000_000
OUTSIDE_POOL = 1e3  # subtracted from the score of a venue no signal puts in the pool
DEFAULTS = {
    "signals": DEFAULT_SIGNALS,
    "holdout_fraction": 0.25,
    "seed": 0,
    "pool": 100,
    "floor": 1e-3,  # inside log(1 + (x / max x) / floor)
    "l2": 1e-3,
    "max_fit_users": 3500,
    "report_users": 1000,  # at most this many validation users (held out of the weights' fit)
    "validation_fraction": 0.25,  # of the users, when there are fewer than max_fit_users
    "gate_min_users": 30,  # fewer validation users: the new model is not activated
    "gate_resamples": 1000,  # paired bootstrap over the validation users (seeded)
    "gate_confidence": 0.95,  # the interval's lower end must be above 0
    "monotone": True,  # bound the weights by DIRECTION (False: any sign, as before 2026-12-06)
}
# 3: the artifact stores its input names (INPUT_NAMES); 2 did not, and its inputs were FORMAT_2_INPUTS.
ARTIFACT_FORMAT = 3
FORMAT_2_INPUTS = (
    "uknn:scaled",
    "uknn:log",
    "uknn_idf:scaled",
    "uknn_idf:log",
    "als:scaled",
    "als:log",
    "als_bm25:scaled",
    "als_bm25:log",
    "kde:scaled",
    "kde:log",
    "friends:scaled",
    "friends:log",
    "category:scaled",
    "category:log",
    "home_km:log1p",
    "popularity:scaled",
    "popularity:log",
)


class IncompatibleArtifact(ValueError):
    """A stored model this code cannot serve: another artifact format, or weights for other inputs."""


# Each input's bounds in a monotone fit: every transform is increasing in its signal.
MONOTONE_BOUNDS = tuple(
    (0.0, None) if DIRECTION[input_name.split(":")[0]] > 0 else (None, 0.0) for input_name in INPUT_NAMES
)


def peaks(signals: UserSignals) -> dict[str, float]:
    """Each signal's maximum for this user over the scope. For every signal that is also its maximum
    over all venues (or as good): the pool holds the top venues of each ranked signal, the scope the
    venues of every category the user has been to, and the most popular venues."""
    return {name: float(values.max(initial=0.0)) for name, values in signals.values.items()}


def scope_inputs(signals: UserSignals, peak: dict[str, float], floor: float) -> list[tuple[str, str, np.ndarray]]:
    """(input name, group, values over the scope) for every input, in INPUT_NAMES order."""
    return [
        (input_name, group, values)
        for group, names in GROUPS.items()
        for name in names
        for input_name, values in transforms(name, signals.values[name], peak[name], floor)
    ]


def holdout(world: World, fraction: float, seed: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(kept, held out): a random `fraction` of each user's venues held out, as described above."""
    rng = np.random.default_rng(seed)
    visits = world.positive.tocsr()
    kept_rows, kept_cols, kept_values, held_rows, held_cols = [], [], [], [], []
    for user in range(world.n_users):
        start, end = visits.indptr[user], visits.indptr[user + 1]
        venues, values = visits.indices[start:end], visits.data[start:end]
        chosen = np.zeros(len(venues), dtype=bool)
        if len(venues) >= 2:
            allowed = np.arange(len(venues))
            if not np.isnan(world.home_lat[user]):
                home = np.array([world.home_lat[user], world.home_lng[user]])
                at_home = np.isclose(world.venue_lat[venues], home[0]) & np.isclose(world.venue_lng[venues], home[1])
                allowed = allowed[~at_home]  # the home venue would give the distance away
            count = min(max(1, round(fraction * len(venues))), len(venues) - 1, len(allowed))
            if count > 0:
                chosen[rng.choice(allowed, count, replace=False)] = True
        kept_rows += [user] * int((~chosen).sum())
        kept_cols += venues[~chosen].tolist()
        kept_values += values[~chosen].tolist()
        held_rows += [user] * int(chosen.sum())
        held_cols += venues[chosen].tolist()
    shape = world.positive.shape
    return csr(kept_rows, kept_cols, kept_values, shape), csr(held_rows, held_cols, np.ones(len(held_rows)), shape)


def fit_softmax(
    features: np.ndarray, labels: np.ndarray, groups: np.ndarray, *, l2: float, bounds: tuple | None = None
) -> np.ndarray:
    """Weights w (on the raw inputs) minimizing, per user, the mean over their positives of
    -log softmax(x @ w) over their candidates, plus l2 |w|^2 on standardized inputs; within
    `bounds` ((low, high) per input, None for no bound) when given. Standardizing divides by a
    positive spread, so the bounds' signs hold for the raw weights too."""
    mean, spread = features.mean(axis=0), features.std(axis=0)
    spread[spread == 0] = 1.0
    standard = ((features - mean) / spread).astype(np.float64)
    order = np.argsort(groups, kind="stable")
    standard, labels, groups = standard[order], labels[order], groups[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    group = np.cumsum(np.r_[True, groups[1:] != groups[:-1]]) - 1
    positives = np.bincount(group, weights=labels)
    keep = positives[group] > 0
    standard, labels = standard[keep], labels[keep]
    group = np.unique(group[keep], return_inverse=True)[1]
    positives = np.bincount(group, weights=labels)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    count = len(positives)

    def loss(weights: np.ndarray):
        scores = standard @ weights
        top = np.maximum.reduceat(scores, starts)
        exps = np.exp(scores - top[group])
        sums = np.add.reduceat(exps, starts)
        log_sum = np.log(sums) + top
        value = (np.bincount(group, weights=labels * (log_sum[group] - scores), minlength=count) / positives).mean()
        gradient = standard.T @ ((exps / sums[group] - labels / positives[group]) / count)
        return value + l2 * weights @ weights, gradient + 2 * l2 * weights

    result = minimize(
        loss, np.zeros(standard.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500}
    )
    return (result.x / spread).astype(np.float32)


def split_users(held: sp.csr_matrix, kept: sp.csr_matrix, config: dict) -> tuple[np.ndarray, np.ndarray]:
    """(fit users, validation users): disjoint sets of users with held-out and kept visits. The fit
    takes at most `max_fit_users` (a seeded sample); validation users are the weights never saw: at
    most `report_users` of the rest (fewer in a large catalogue: REPORT_CELLS), or, when every user
    would fit, a seeded `validation_fraction`."""
    users = np.flatnonzero((np.diff(held.indptr) > 0) & (np.diff(kept.indptr) > 0))
    rng = np.random.default_rng(config["seed"])
    if len(users) > config["max_fit_users"]:
        fit = np.sort(rng.choice(users, config["max_fit_users"], replace=False))
        rest = np.setdiff1d(users, fit)
    else:
        count = int(round(config["validation_fraction"] * len(users)))
        rest = rng.choice(users, count, replace=False) if count else np.zeros(0, dtype=users.dtype)
        fit = np.setdiff1d(users, rest)
    count = min(config["report_users"], len(rest), max(100, REPORT_CELLS // max(held.shape[1], 1)))
    validation = np.sort(np.random.default_rng(config["seed"] + 1).choice(rest, count, replace=False))
    return fit, validation


def gate(differences: np.ndarray, *, against: str, config: dict) -> dict:
    """Does the new model beat the served ranker on the validation users? `differences`: per user, its
    P@10 less the served one's. It passes when at least `gate_min_users` users were validated and the
    lower end of a paired bootstrap interval of the mean difference (`gate_resamples` resamples of the
    users, seeded, `gate_confidence` two-sided) is above 0."""
    users = len(differences)
    lift = float(differences.mean()) if users else 0.0
    verdict = {"against": against, "users": users, "lift": round(lift, 5), "low": None, "passed": False}
    if users < config["gate_min_users"]:
        verdict["reason"] = (
            f"{users} validation users, fewer than the {config['gate_min_users']} needed to tell it from the {against}"
        )
        return verdict
    rng = np.random.default_rng(config["seed"])
    means = differences[rng.integers(0, users, size=(config["gate_resamples"], users))].mean(axis=1)
    low = float(np.quantile(means, (1 - config["gate_confidence"]) / 2))
    verdict["low"] = round(low, 5)
    verdict["passed"] = low > 0
    high = float(np.quantile(means, (1 + config["gate_confidence"]) / 2))
    sure = f"{config['gate_confidence']:.0%} interval {low:+.4f} to {high:+.4f}"
    verdict["reason"] = f"P@10 {lift:+.4f} against the {against} on {users} validation users ({sure})" + (
        "" if verdict["passed"] else f": not surely better than the {against}"
    )
    return verdict


class LearnedRanker(Ranker):
    name = "learned"
    batch_users = 32

    def __init__(self, config: dict | None = None) -> None:
        self.config = {**DEFAULTS, **(config or {})}
        self.reference: Reference | None = None
        self.weights: np.ndarray | None = None
        self.report: dict = {}
        # Who the reference's rows and columns are, as (n, 2) uint64 id halves, when they are
        # database rows (the training service sets them; a split's world has positions only).
        self.user_keys: np.ndarray | None = None
        self.venue_keys: np.ndarray | None = None
        self._kept_popularity: tuple | None = None  # (popularity array, peak, its part of the score)

    # --- fitting ---------------------------------------------------------------

    def fit(
        self,
        world: World,
        *,
        progress: Callable[[str], None] | None = None,
        served_weights: np.ndarray | None = None,
    ) -> LearnedRanker:
        """Fit on `world`; the report's gate compares the new weights with `served_weights` (the served
        version's, on the same signals) or, without them, with the formula."""
        config = self.config
        say = progress or (lambda message: None)
        started = time.perf_counter()
        kept, held = holdout(world, config["holdout_fraction"], config["seed"])
        kept_world = world.with_history(kept, sp.csr_matrix(kept.shape), kept.copy())
        say(f"held out {held.nnz:,} of {world.positive.nnz:,} visits; fitting the signals on the rest")
        reference = Reference.fit(kept, config["signals"], seed=config["seed"])
        users, validation = split_users(held, kept, config)
        say(f"ranking the pools of {len(users):,} users")
        rows, labels, groups = [], [], []
        for batch in self._batches(kept_world, users):
            batch_signals = users_signals(kept_world, reference, batch, pool=config["pool"])
            for user, signals in zip(batch.tolist(), batch_signals, strict=True):
                pool = signals.in_pool
                inputs = scope_inputs(signals, peaks(signals), config["floor"])
                rows.append(np.stack([values[pool] for _, _, values in inputs], axis=1).astype(np.float32))
                truth = held.indices[held.indptr[user] : held.indptr[user + 1]]
                labels.append(np.isin(signals.scope[pool], truth).astype(np.float32))
                groups.append(np.full(int(pool.sum()), user))
        features = np.concatenate(rows)
        labels, groups = np.concatenate(labels), np.concatenate(groups)
        say(f"fitting the weights on {len(labels):,} candidates ({int(labels.sum()):,} held out)")
        bounds = MONOTONE_BOUNDS if config["monotone"] else None
        self.weights = fit_softmax(features, labels, groups, l2=config["l2"], bounds=bounds)
        say(f"validating on the held-out visits of {len(validation):,} users the weights never saw")
        holdout_figures = self._validate(kept_world, reference, held, validation, served_weights)
        say(
            f"on the held-out visits of {holdout_figures['gate']['users']:,} users: "
            + ", ".join(
                f"{name} P@10 {figures['precision']:.4f}" for name, figures in holdout_figures.items() if name != "gate"
            )
        )
        say("fitting the signals on the whole history")
        self.reference = Reference.fit(world.positive, config["signals"], seed=config["seed"])
        self.report = {
            "held_out": int(held.nnz),
            "fit_users": len(users),
            "candidates": len(labels),
            "positives_in_pool": int(labels.sum()),
            "seconds": round(time.perf_counter() - started, 2),
            "holdout": holdout_figures,
            "weights": dict(zip(INPUT_NAMES, self.weights.round(4).tolist(), strict=True)),
        }
        return self

    def _validate(self, kept_world: World, reference: Reference, held, users: np.ndarray, served_weights) -> dict:
        """P@10, R@10, NDCG@10 on the held-out visits of the validation users, for this model, the formula
        and the served weights (when given), and the gate: does this model beat the served ranker there?"""
        from ranking.metrics import rank_for_users, score_lists

        chosen = np.zeros(held.shape[0], dtype=bool)
        chosen[users] = True
        sample = (sp.diags(chosen.astype(np.float32)) @ held).tocsr()
        sample.eliminate_zeros()
        rankers = {"learned": self._with(reference, self.weights), "formula": FormulaRanker()}
        if served_weights is not None:
            rankers["served"] = self._with(reference, np.asarray(served_weights, dtype=np.float32))
        figures, hits = {}, {}
        for name, ranker in rankers.items():
            lists = rank_for_users(ranker, kept_world, users, 10)
            result = score_lists(lists, users, sample, n_venues=kept_world.n_venues, k=10, curve_to=10, started=0.0)
            figures[name] = {
                "precision": round(result.precision, 5),
                "recall": round(result.recall, 5),
                "ndcg": round(result.ndcg, 5),
                "users": result.users,
            }
            hits[name] = (
                np.array(
                    [
                        np.isin(ranked[:10], sample.indices[sample.indptr[user] : sample.indptr[user + 1]]).sum()
                        for user, ranked in zip(users.tolist(), lists, strict=True)
                    ],
                    dtype=np.float64,
                )
                / 10
            )
        against = "served" if served_weights is not None else "formula"
        figures["gate"] = gate(hits["learned"] - hits[against], against=against, config=self.config)
        return figures

    def _with(self, reference: Reference, weights: np.ndarray) -> LearnedRanker:
        model = LearnedRanker(self.config)
        model.reference, model.weights = reference, weights
        return model

    # --- scoring ---------------------------------------------------------------

    def _batches(self, world: World, users: np.ndarray):
        size = max(1, min(self.batch_users, SIGNAL_CELLS // max(world.n_venues, 1)))
        for start in range(0, len(users), size):
            yield np.asarray(users[start : start + size])

    def score(self, world: World, users: np.ndarray) -> Scored:
        """Scores over every venue; features and contributions only where asked (Scored.explanation)."""
        return self._score(world, users, shortlist=False)

    def score_shortlist(self, world: World, users: np.ndarray) -> Scored:
        """Scores on the union of the users' scopes, with a bound on every score outside it: each
        user's score of a venue outside their scope is what home, popularity and category say of it,
        less OUTSIDE_POOL, and none of those exceeds the bound."""
        return self._score(world, users, shortlist=True)

    def _score(self, world: World, users: np.ndarray, *, shortlist: bool) -> Scored:
        users = np.asarray(users)
        weight = dict(zip(INPUT_NAMES, self.weights.astype(np.float64).tolist(), strict=True))
        signals = [
            one
            for batch in self._batches(world, users)
            for one in users_signals(world, self.reference, batch, pool=self.config["pool"])
        ]
        user_peaks = [peaks(one) for one in signals]
        positions = np.unique(np.concatenate([one.scope for one in signals])) if shortlist else None
        columns = positions if positions is not None else slice(None)
        width = len(positions) if positions is not None else world.n_venues
        score = np.empty((len(users), width), dtype=np.float64)
        distance = np.empty((len(users), width), dtype=np.float64)
        bound = np.empty(len(users), dtype=np.float64)
        has_home = world.has_home(users)
        points, categories = world.venue_points[columns], world.venue_category[columns]  # once for every user
        for row, (one, peak) in enumerate(zip(signals, user_peaks, strict=True)):
            km = one.km_at(points)
            total, bound[row] = self._everywhere(world, one, peak, weight, km, columns, categories)
            # On the scope, every signal as it is.
            at = one.scope if positions is None else np.searchsorted(positions, one.scope)
            total[at] = sum(self._parts(one.values, peak, weight).values())
            total -= OUTSIDE_POOL
            total[at[one.in_pool]] += OUTSIDE_POOL
            score[row] = total
            distance[row] = km if has_home[row] else np.nan

        typical: dict[int, float] = {}

        def typical_km(row: int) -> float:
            """The user's median distance from home over every venue (NO_HOME_KM without a home)."""
            if row not in typical:
                typical[row] = float(np.median(signals[row].km_at(world.venue_points))) if world.n_venues else 0.0
            return typical[row]

        def baselines(rows: np.ndarray) -> np.ndarray:
            return np.array([weight["home_km:log1p"] * np.log1p(typical_km(row)) for row in rows.tolist()])

        def explain(rows: np.ndarray, at: np.ndarray):
            at = at if positions is None else positions[at]
            features = {group: np.zeros((len(rows), len(at)), dtype=np.float64) for group in GROUPS}
            contributions = {group: np.zeros((len(rows), len(at)), dtype=np.float64) for group in (*GROUPS, OUTSIDE)}
            for index, row in enumerate(rows.tolist()):
                values = self._values_at(world, signals[row], at)
                peak = user_peaks[row]
                for group, part in self._parts(values, peak, weight).items():
                    contributions[group][index] = part
                contributions["near_home"][index] -= weight["home_km:log1p"] * np.log1p(typical_km(row))
                contributions[OUTSIDE][index] = np.where(self._in_pool_at(signals[row], at), 0.0, -OUTSIDE_POOL)
                for group, names in GROUPS.items():
                    if names == ("home_km",):
                        features[group][index] = values["home_km"]  # NO_HOME_KM without a home (JSON has no NaN)
                    else:
                        features[group][index] = sum(
                            values[name] / peak[name] if peak[name] > 0 else 0.0 for name in names
                        ) / len(names)
            return features, contributions

        return Scored(
            score=score,
            features=None,
            distance=distance,
            explain=explain,
            positions=positions,
            outside_bound=bound - OUTSIDE_POOL if positions is not None else None,
            baselines=baselines,
        )

    def readable_scale(self) -> tuple[float, float]:
        """(low, span): low is the least score a venue of the pool can have (every input at its value
        farthest below 0: with monotone weights, every signal at 0 and the farthest venue on Earth),
        low + span the most (every input at its value farthest above 0: each signal at the user's
        best, the distance 0). Every input lies between 0 and its largest value (1 scaled, log(1 +
        1 / floor), log(1 + half the Earth's circumference) for the distance)."""
        low = high = 0.0
        for input_name, weight in zip(INPUT_NAMES, self.weights.astype(np.float64).tolist(), strict=True):
            if input_name.endswith(":scaled"):
                largest = 1.0
            elif input_name.endswith(":log"):
                largest = float(np.log1p(1.0 / self.config["floor"]))
            else:
                largest = float(np.log1p(np.pi * EARTH_RADIUS_KM))
            low += min(0.0, weight * largest)
            high += max(0.0, weight * largest)
        return low, (high - low) or 1.0

    def _everywhere(self, world: World, signals: UserSignals, peak, weight, km: np.ndarray, columns, categories):
        """(the score at `columns` (whose category codes are `categories`) of what home, popularity and
        category say, every other input at its value for 0, which is 0; the most that part can be at any venue)."""
        home = weight["home_km:log1p"]
        popularity = self._popularity_part(world.popularity, peak["popularity"], weight)
        category = self._weighted("category", signals.category_share, peak["category"], weight)
        total = home * np.log1p(km)
        total += popularity[columns]
        total += category[categories]
        # The farthest venue is at most half the Earth's circumference away; the nearest is known.
        nearest = max(signals.nearest_km - 1e-6, 0.0) if signals.home is not None else signals.nearest_km
        farthest = np.pi * EARTH_RADIUS_KM if signals.home is not None else signals.nearest_km
        most = (
            max(home * np.log1p(nearest), home * np.log1p(farthest))
            + float(popularity.max(initial=0.0))
            + float(category.max(initial=0.0))
        )
        return total, most + 1e-9 * (1.0 + abs(most))

    def _parts(self, values: dict[str, np.ndarray], peak: dict[str, float], weight: dict[str, float]) -> dict:
        """Each group's contribution: the sum of its weighted inputs made of these signal values."""
        return {
            group: sum(self._weighted(name, values[name], peak[name], weight) for name in names)
            for group, names in GROUPS.items()
        }

    def _weighted(self, name: str, values: np.ndarray, peak: float, weight: dict[str, float]) -> np.ndarray:
        total = np.zeros(len(values), dtype=np.float64)
        for input_name, inputs in transforms(name, values, peak, self.config["floor"]):
            total += weight[input_name] * inputs
        return total

    def _popularity_part(self, popularity: np.ndarray, peak: float, weight: dict[str, float]) -> np.ndarray:
        """The popularity inputs' part of every venue's score: the same for every user of a catalogue
        (its peak is the most popular venue's, which every scope holds), so it is kept."""
        kept = self._kept_popularity
        if kept is None or kept[0] is not popularity or kept[1] != peak:
            kept = (popularity, peak, self._weighted("popularity", popularity.astype(np.float64), peak, weight))
            self._kept_popularity = kept
        return kept[2]

    @staticmethod
    def _in_pool_at(signals: UserSignals, positions: np.ndarray) -> np.ndarray:
        """Whether the venues at these positions are among the user's candidates (the pool)."""
        scope = signals.scope
        if not len(scope):
            return np.zeros(len(positions), dtype=bool)
        index = np.minimum(np.searchsorted(scope, positions), len(scope) - 1)
        return (scope[index] == positions) & signals.in_pool[index]

    @staticmethod
    def _values_at(world: World, signals: UserSignals, positions: np.ndarray) -> dict[str, np.ndarray]:
        """Every signal at these venue positions: as on the scope there, else what is known everywhere (or 0)."""
        scope = signals.scope
        index = np.minimum(np.searchsorted(scope, positions), max(len(scope) - 1, 0))
        inside = (scope[index] == positions) if len(scope) else np.zeros(len(positions), dtype=bool)
        everywhere = {
            "home_km": signals.km_at(world.venue_points, positions),
            "popularity": world.popularity[positions].astype(np.float64),
            "category": signals.category_share[world.venue_category[positions]].astype(np.float64),
        }
        values = {}
        for name, on_scope in signals.values.items():
            at = everywhere.get(name, np.zeros(len(positions), dtype=np.float64)).copy()
            at[inside] = on_scope[index[inside]]
            values[name] = at
        return values

    # --- storing ---------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The fitted ranker as one artifact (numpy's npz), for the model table."""
        reference = self.reference
        arrays = {
            "weights": self.weights,
            "user_keys": self.user_keys if self.user_keys is not None else np.zeros((0, 2), np.uint64),
            "venue_keys": self.venue_keys if self.venue_keys is not None else np.zeros((0, 2), np.uint64),
            "visits_indptr": reference.visits.indptr,
            "visits_indices": reference.visits.indices,
        }
        for prefix, models in (("als", reference.factors), ("als_bm25", reference.bm25_factors)):
            for index, model in enumerate(models):
                arrays[f"{prefix}_{index}"] = model.trained_items().astype(np.float16)
        meta = {
            "format": ARTIFACT_FORMAT,
            "inputs": list(INPUT_NAMES),
            "config": self.config,
            "shape": list(reference.visits.shape),
            "bm25_average_length": reference.bm25_average_length,
            "factors": [
                [prefix, index, model.regularization, model.alpha]
                for prefix, models in (("als", reference.factors), ("als_bm25", reference.bm25_factors))
                for index, model in enumerate(models)
            ],
            "report": self.report,
        }
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, artifact: bytes) -> LearnedRanker:
        stored = np.load(io.BytesIO(artifact))
        meta = json.loads(stored["meta"].tobytes())
        if meta["format"] not in (2, ARTIFACT_FORMAT):
            raise IncompatibleArtifact(
                f"model artifact format {meta['format']} is not {ARTIFACT_FORMAT}: train a new one"
            )
        inputs = tuple(meta["inputs"]) if meta["format"] >= 3 else FORMAT_2_INPUTS
        if inputs != INPUT_NAMES:
            missing, unknown = set(INPUT_NAMES) - set(inputs), set(inputs) - set(INPUT_NAMES)
            raise IncompatibleArtifact(
                f"model artifact weighs the inputs {', '.join(inputs)}, not this code's "
                f"(missing: {', '.join(sorted(missing)) or 'none'}; unknown: {', '.join(sorted(unknown)) or 'none'};"
                " or in another order): train a new one"
            )
        ranker = cls(meta["config"])
        ranker.weights = stored["weights"]
        ranker.report = meta["report"]
        ranker.user_keys, ranker.venue_keys = stored["user_keys"], stored["venue_keys"]
        indices = stored["visits_indices"]
        visits = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), indices, stored["visits_indptr"]), shape=tuple(meta["shape"])
        )
        factors: dict[str, list] = {"als": [], "als_bm25": []}
        for prefix, index, regularization, alpha in meta["factors"]:
            items = stored[f"{prefix}_{index}"]
            factors[prefix].append(factors_of(items, regularization, alpha, first=index == 0))
        ranker.reference = Reference.of(
            visits,
            bm25_average_length=meta["bm25_average_length"],
            factors=factors["als"],
            bm25_factors=factors["als_bm25"],
            config=meta["config"]["signals"],
        )
        return ranker


def aligned(ranker: LearnedRanker, positions: np.ndarray, n_venues: int) -> LearnedRanker:
    """The ranker with its venue arrays at other positions (see Reference.aligned), for a catalogue."""
    copy = LearnedRanker(ranker.config)
    copy.weights, copy.report = ranker.weights, ranker.report
    copy.user_keys, copy.venue_keys = ranker.user_keys, ranker.venue_keys
    copy.reference = ranker.reference.aligned(positions, n_venues)
    return copy
