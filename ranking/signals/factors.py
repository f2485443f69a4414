"""The factorizations (people_like_you: als, als_bm25): implicit ALS on visit counts and on BM25-weighted
counts, the user folded in from their own row; the first seed ranks every venue for the pool."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from ranking.topk import top_k

if TYPE_CHECKING:
    from ranking.signals.pool import Reference


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
        return self.items[inverse(self.by_norm)]

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
        rank = inverse(self.by_norm)
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


def inverse(permutation: np.ndarray) -> np.ndarray:
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
    rank = inverse(by_norm)
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


def bm25_row(reference: Reference, venues, weights) -> np.ndarray:
    """The user's row weighted as the BM25 factorization was trained on (see `bm25`)."""
    k1, b = reference.config["bm25"]["k1"], reference.config["bm25"]["b"]
    norm = (1.0 - b) + b * weights.sum() / max(reference.bm25_average_length, 1e-9)
    return (weights * (k1 + 1.0) / (k1 * norm + weights) * reference.bm25_idf[venues]).astype(np.float32)
