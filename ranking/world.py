"""A `World` of arrays: everything a ranker may look at, with no Django in sight.

Offline it holds a whole check-in split (world.checkins builds it) or the
database's history (evaluate --from-database); online it holds the catalogue
and the rows of the one user (or the few) being ranked. Rankers see the same
shape either way, which is what makes offline and online scores the same
numbers.

Users and venues are positions (0..U-1, 0..V-1). Venue positions are also the
id tie-break: they follow venue id order.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from ranking.geometry import unit_vectors

NO_CATEGORY = -1
# What an interaction of each kind weighs in `positive` (likes and interests; any other kind 0: a view
# counts for dwell and for "has been there" only). The apps map their interaction types onto it.
POSITIVE_WEIGHTS = {"interest": 1.0, "like": 1.0}


@dataclass(frozen=True)
class World:
    venue_lat: np.ndarray  # (V,) degrees
    venue_lng: np.ndarray  # (V,)
    venue_category: np.ndarray  # (V,) int category code, NO_CATEGORY for none
    # (U, V): how many like/interest interactions each user has with each venue.
    positive: sp.csr_matrix
    # (U, V): seconds of dwell over all of a user's interactions with a venue (views too).
    dwell: sp.csr_matrix
    # (U, V): every interaction, positive or not: what "has been there" means.
    interactions: sp.csr_matrix
    home_lat: np.ndarray  # (U,) degrees, NaN without a home
    home_lng: np.ndarray  # (U,)
    # (U, P): tie strength from a user to each friend among the reference population: the
    # world's own users offline (P = U), the people a trained model knows online. None: no graph.
    social: sp.csr_matrix | None = None
    # (U,): each user's row in the reference population, -1 when not in it; None: the world's own.
    reference_index: np.ndarray | None = None
    # (V,): distinct users with a like or interest. Offline it follows from `positive`; online
    # it is the catalogue's count over every user, of whom the world holds only a few.
    popularity: np.ndarray | None = None
    # Free-form facts about where the world came from (sizes, prefix), for reports.
    info: dict = field(default_factory=dict)
    # (V, 3) venue positions on the unit sphere (float64: the chord of near points needs it) and a
    # k-d tree over them, to find the venues near a place; computed when not given (online the
    # catalogue keeps both, so a request does not rebuild them).
    venue_points: np.ndarray | None = None
    venue_tree: cKDTree | None = None
    # The venues nearest each venue, asked of the tree once per venue (online the catalogue's).
    venue_nearest: NearestVenues | None = None

    def __post_init__(self) -> None:
        fill_venue_geometry(self, self.venue_lat, self.venue_lng)
        users, venues = self.positive.shape
        for name in ("dwell", "interactions"):
            if getattr(self, name).shape != (users, venues):
                raise ValueError(f"World.{name} is {getattr(self, name).shape}, expected {(users, venues)}.")
        if self.popularity is None:
            object.__setattr__(self, "popularity", distinct_users(self.positive))

    @property
    def n_users(self) -> int:
        return self.positive.shape[0]

    @property
    def n_venues(self) -> int:
        return self.positive.shape[1]

    def has_home(self, users: np.ndarray) -> np.ndarray:
        return ~np.isnan(self.home_lat[users])

    def reference_rows(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(users) if self.reference_index is None else self.reference_index[users]

    def with_history(self, positive: sp.csr_matrix, dwell: sp.csr_matrix, interactions: sp.csr_matrix) -> World:
        """The same world with other interaction matrices (a holdout's history); popularity follows them."""
        return replace(self, positive=positive, dwell=dwell, interactions=interactions, popularity=None)


def fill_venue_geometry(holder, lat: np.ndarray, lng: np.ndarray) -> None:
    """Derive what a frozen `holder` (a World; the catalogue, once per load) lacks of the geometry of
    venues at these coordinates: `venue_points` on the unit sphere, `venue_tree` (a k-d tree over them)
    and `venue_nearest` (the venues nearest each). What it was given is kept."""
    if holder.venue_points is None:
        object.__setattr__(holder, "venue_points", unit_vectors(lat, lng))
    if holder.venue_tree is None:
        object.__setattr__(holder, "venue_tree", cKDTree(holder.venue_points))
    if holder.venue_nearest is None:
        object.__setattr__(holder, "venue_nearest", NearestVenues(holder.venue_tree))


def id_positions(keys: Sequence[int]) -> tuple[list[int], dict[int, int]]:
    """Positions follow id order, which makes them the id tie-break of every ranking: (the indexes
    of `keys` in that order, key -> its position)."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return order, {keys[index]: position for position, index in enumerate(order)}


def world_from_rows(
    *,
    venue_lat: np.ndarray,
    venue_lng: np.ndarray,
    venue_category: np.ndarray,
    home_lat: np.ndarray,
    home_lng: np.ndarray,
    rows,
    cols,
    positive,
    dwell=None,
    touched=None,
    **rest,
) -> World:
    """The one way to build a World: from interaction rows (user position, venue position, positive weight,
    dwell seconds, and what each counts in `interactions`, 1 by default; repeated pairs add up). Without
    `dwell`, no dwell anywhere. `rest`: World's other fields (social, reference_index, popularity, info,
    the venue geometry when the caller keeps it)."""
    shape = (len(home_lat), len(venue_lat))
    return World(
        venue_lat=venue_lat,
        venue_lng=venue_lng,
        venue_category=venue_category,
        positive=csr(rows, cols, positive, shape),
        dwell=sp.csr_matrix(shape) if dwell is None else csr(rows, cols, dwell, shape),
        interactions=csr(rows, cols, np.ones(len(rows)) if touched is None else touched, shape),
        home_lat=home_lat,
        home_lng=home_lng,
        **rest,
    )


class NearestVenues:
    """The `k` venues nearest each venue, as the k-d tree over them answers (nearest first): the tree
    is asked once per venue and `k`, and the answer kept (k int32 per venue of the catalogue)."""

    def __init__(self, tree: cKDTree) -> None:
        self.tree = tree
        self._kept: dict[int, np.ndarray] = {}  # k -> (V, k), -1 where not asked yet

    def of(self, venues: np.ndarray, k: int) -> np.ndarray:
        """(len(venues), k) venue positions, nearest first; k at most the number of venues."""
        venues = np.asarray(venues, dtype=np.intp)
        with _NEAREST_LOCK:
            return self._asked(venues, k)[venues].astype(np.intp)

    def fill(self, k: int) -> None:
        """Ask the tree for every venue now: a server does before it forks its workers, since a table
        filled as requests ask would be written to, so copied, in every worker."""
        with _NEAREST_LOCK:
            self._asked(np.arange(self.tree.n), k)

    def _asked(self, venues: np.ndarray, k: int) -> np.ndarray:
        """The (V, k) table for k, with these venues' rows filled (the caller holds the lock)."""
        if not 1 <= k <= self.tree.n:
            raise ValueError(f"k={k}: the venues nearest each are 1 to {self.tree.n}")
        kept = self._kept.get(k)
        if kept is None:
            kept = self._kept[k] = np.full((self.tree.n, k), -1, dtype=np.int32)
        missing = np.unique(venues[kept[venues, 0] < 0])
        if len(missing):
            _, nearest = self.tree.query(self.tree.data[missing], k=k)
            kept[missing] = nearest.reshape(len(missing), k)
        return kept


# One lock for every NearestVenues (it is held for a lookup). A process forked while another thread
# held it would keep it taken: the serving side makes it anew in a forked child (renew_nearest_lock).
_NEAREST_LOCK = threading.Lock()


def renew_nearest_lock() -> None:
    """A new lock for every NearestVenues: for a child process just forked (see the module of the caller)."""
    global _NEAREST_LOCK
    _NEAREST_LOCK = threading.Lock()


def distinct_users(positive: sp.csr_matrix) -> np.ndarray:
    """Per venue, how many users have at least one positive interaction with it."""
    return np.asarray((positive > 0).sum(axis=0), dtype=np.float64).ravel()


def csr(rows, cols, values, shape: tuple[int, int], dtype=np.float64) -> sp.csr_matrix:
    """A CSR matrix from coordinates; repeated (row, col) pairs add up."""
    matrix = sp.coo_matrix(
        (np.asarray(values, dtype=dtype), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
        shape=shape,
    ).tocsr()
    matrix.sum_duplicates()
    return matrix


def sparse_row(matrix: sp.csr_matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    """(venues, values) of a row of a sparse matrix."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    return matrix.indices[start:end], matrix.data[start:end]
