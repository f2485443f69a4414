"""The venue catalogue each process keeps in memory for scoring.

Coordinates, categories, price levels, names and popularity (distinct users
with a like or interest) of every venue, as arrays indexed by position.
Positions follow venue id order (the UUID's 128-bit value, which is also the
order of its canonical string), so a position doubles as the id tie-break.

Staleness bound (settings.LUNA_RECO["CACHE_STALENESS_SECONDS"]):
- every request first reads two watermarks in one query (the highest
  interaction id and the latest venue `updated_at`, each the end of an index);
- new interactions are added to the popularity counts from that delta
  (`id > last seen`), so an interaction saved before the request is counted;
- any venue created or changed (its `updated_at` moves) reloads the catalogue
  on the request path (venues change rarely; about 0.6 s at 100,000 venues);
- a deleted venue is never recommended: the venues a request picks are
  looked up (one query), and if one is gone the catalogue is reloaded at once
  (`catalogue_cache.reload()`) and the request ranked again;
- other deletions (interactions, hence popularity), and rows whose transaction
  committed after a later id was already seen, are picked up by a full reload that happens at least every
  CACHE_STALENESS_SECONDS: in a background thread once half of it has passed
  (LUNA_RECO["REFRESH_IN_BACKGROUND"]), on the request path when all of it has;
- `catalogue_cache.invalidate()` forces every process sharing the Django cache
  to reload on its next request;
- the active trained model's version is read with the watermarks: a newly
  activated version (train_ranker, or a rollback in the admin) is served from
  the next request on, in every process, without reloading the venues.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import CharField, Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from scipy.spatial import cKDTree

from luna.geo import unit_vectors
from luna.metrics import CATALOGUE_LOADS, MODEL_VERSION
from recommendations.engine.learned import LearnedRanker, aligned
from recommendations.engine.world import NO_CATEGORY
from recommendations.models import RankerVersion
from recommendations.selectors import plain_rows, uuid_key
from venues.models import Interaction, Venue

logger = logging.getLogger(__name__)

GENERATION_CACHE_KEY = "recommendations:catalogue-generation"

# Beyond this many new interactions one GROUP BY is cheaper than reading the delta row by row.
MAX_DELTA_INTERACTIONS = 20_000


@dataclass(frozen=True)
class Catalogue:
    # Venue ids as 128-bit ints: unlike UUID objects, ints are not tracked by the garbage
    # collector, so a catalogue of 100,000 venues adds nothing to every full collection.
    ids: list[int]
    position: dict[int, int]
    names: list[str]
    lat: np.ndarray
    lng: np.ndarray
    categories: list[str]  # category code -> slug ("" for venues without one)
    category_code: np.ndarray
    price_level: np.ndarray  # 0 when unknown
    popularity: np.ndarray  # distinct users with a like or interest, per venue
    last_interaction_id: int
    venue_mark: datetime | None
    generation: str
    loaded_at: float
    # The active trained model, aligned to these venue positions; None: the formula serves.
    model: ServedModel | None = None
    # Venue positions on the unit sphere, a k-d tree over them, and category codes as the engine
    # has them (NO_CATEGORY for venues without one); derived from the fields above when not given.
    venue_points: np.ndarray | None = None
    venue_tree: cKDTree | None = None
    venue_category: np.ndarray | None = None

    @property
    def model_version(self) -> int | None:
        return None if self.model is None else self.model.version

    @property
    def size(self) -> int:
        return len(self.ids)

    def __post_init__(self) -> None:
        # What the ranking engine measures with, computed once per load: `replace()` (a popularity
        # delta, another model) carries them over instead of rebuilding them on a request.
        if self.venue_points is None:
            object.__setattr__(self, "venue_points", unit_vectors(self.lat, self.lng))
        if self.venue_tree is None:
            object.__setattr__(self, "venue_tree", cKDTree(self.venue_points))
        if self.venue_category is None:
            empty = self.code_of("")
            codes = (
                self.category_code
                if empty is None
                else np.where(self.category_code == empty, NO_CATEGORY, self.category_code)
            )
            object.__setattr__(self, "venue_category", codes)

    def venue_id_at(self, position: int) -> uuid.UUID:
        return uuid.UUID(int=self.ids[position])

    def positions_of(self, venue_ids: Iterable[uuid.UUID]) -> np.ndarray:
        """Positions of these venues, -1 for those not in the catalogue."""
        return self.positions_of_keys(venue_id.int for venue_id in venue_ids)

    def positions_of_keys(self, venue_keys: Iterable[int]) -> np.ndarray:
        """Like `positions_of`, for ids given as `uuid.UUID.int`."""
        position = self.position
        return np.array([position.get(key, -1) for key in venue_keys], dtype=np.intp)

    def code_of(self, category: str) -> int | None:
        try:
            return self.categories.index(category)
        except ValueError:
            return None

    def nbytes(self) -> int:
        """Memory held by this catalogue: arrays, ids, names and the id index."""
        arrays = (self.lat, self.lng, self.category_code, self.price_level, self.popularity)
        total = sum(array.nbytes for array in arrays)
        total += sys.getsizeof(self.ids) + sys.getsizeof(self.position) + sys.getsizeof(self.names)
        total += sum(sys.getsizeof(venue_id) for venue_id in self.ids)
        total += sum(sys.getsizeof(name) for name in self.names)
        total += sum(sys.getsizeof(slug) for slug in self.categories)
        return total


def _generation() -> str:
    generation = cache.get(GENERATION_CACHE_KEY)
    if generation is None:
        cache.add(GENERATION_CACHE_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(GENERATION_CACHE_KEY)
    return generation


def _watermarks() -> tuple[int, datetime | None, int | None]:
    """The highest interaction id, the latest venue update and the active model version, in one query
    answered from indexes."""
    latest_venue_update = Venue.objects.order_by("-updated_at").values("updated_at")[:1]
    active_model = RankerVersion.objects.filter(is_active=True).values("version")[:1]
    row = (
        Interaction.objects.order_by("-id")
        .annotate(venue_mark=Subquery(latest_venue_update), model_version=Subquery(active_model))
        .values_list("id", "venue_mark", "model_version")
        .first()
    )
    if row is None:  # no interactions yet
        venue_mark = Venue.objects.order_by().aggregate(last=Max("updated_at"))["last"]
        return 0, venue_mark, active_model.values_list("version", flat=True).first()
    return row


def catalogue_load(*, venue_mark: datetime | None, generation: str, loaded_at: float) -> Catalogue:
    """Every venue, and the popularity counts up to the interaction watermark, from the database."""
    rows = plain_rows(
        Venue.objects.order_by("id").values_list(
            Cast("id", CharField()), "name", "lat", "lng", "category", "price_level"
        )
    )
    ids = [uuid_key(row[0]) for row in rows]
    order = sorted(range(len(rows)), key=ids.__getitem__)  # id order, whatever the database's collation
    rows = [rows[index] for index in order]
    ids = [ids[index] for index in order]
    position = {venue_id: index for index, venue_id in enumerate(ids)}
    categories: list[str] = []
    codes: dict[str, int] = {}
    category_code = np.empty(len(rows), dtype=np.int32)
    for index, row in enumerate(rows):
        code = codes.get(row[4])
        if code is None:
            code = codes[row[4]] = len(categories)
            categories.append(row[4])
        category_code[index] = code

    # The counts and the interaction watermark come from one statement, hence one snapshot:
    # every positive interaction up to the watermark is counted, none after it. The watermark
    # read first only stands when no interaction is positive (the statement returns no row).
    last_interaction_id = Interaction.objects.order_by().aggregate(last=Max("id"))["last"] or 0
    popularity = plain_rows(
        Interaction.objects.filter(interaction_type__in=Interaction.POSITIVE_TYPES)
        .order_by()
        .values("venue_id")
        .annotate(
            count=Count("user_id", distinct=True),
            last_id=Subquery(Interaction.objects.order_by("-id").values("id")[:1]),
        )
        .values_list(Cast("venue_id", CharField()), "count", "last_id")
    )
    counts = np.zeros(len(rows), dtype=np.int64)
    for venue_id, count, last_id in popularity:
        last_interaction_id = last_id
        index = position.get(uuid_key(venue_id))
        if index is not None:
            counts[index] = count
    return Catalogue(
        ids=ids,
        position=position,
        names=[row[1] for row in rows],
        lat=np.array([row[2] for row in rows], dtype=np.float64),
        lng=np.array([row[3] for row in rows], dtype=np.float64),
        categories=categories,
        category_code=category_code,
        price_level=np.array([row[5] or 0 for row in rows], dtype=np.int8),
        popularity=counts,
        last_interaction_id=last_interaction_id,
        venue_mark=venue_mark,
        generation=generation,
        loaded_at=loaded_at,
    )


def _with_new_interactions(catalogue: Catalogue, *, up_to_id: int) -> Catalogue:
    """The catalogue plus the users who first liked or showed interest in a venue with ids in (last seen, up_to_id].

    Popularity counts users, not interactions: a positive interaction counts only when the
    same user had none with that venue before it (a lookup in the (user, venue) index).
    """
    positive = Q(interaction_type__in=Interaction.POSITIVE_TYPES)
    earlier = Interaction.objects.filter(
        positive, user_id=OuterRef("user_id"), venue_id=OuterRef("venue_id"), id__lt=OuterRef("id")
    )
    venue_ids = (
        Interaction.objects.filter(positive, id__gt=catalogue.last_interaction_id, id__lte=up_to_id)
        .filter(~Exists(earlier))
        .values_list("venue_id", flat=True)
    )
    positions = catalogue.positions_of(venue_ids.order_by())
    counts = catalogue.popularity.copy()  # readers in other threads keep the old array
    np.add.at(counts, positions[positions >= 0], 1)
    return replace(catalogue, popularity=counts, last_interaction_id=up_to_id)


@dataclass(frozen=True)
class ServedModel:
    version: int
    ranker: LearnedRanker  # its venue arrays at this catalogue's positions
    person_index: dict[int, int]  # user id (as an int) -> row of the people the model knows

    def nbytes(self) -> int:
        reference = self.ranker.reference
        arrays = [reference.visits.data, reference.visits.indices, reference.visits.indptr]
        arrays += [reference.visits_t.data, reference.visits_t.indices, reference.visits_t.indptr]
        arrays += [model.items for model in [*reference.factors, *reference.bm25_factors]]
        return sum(array.nbytes for array in arrays) + sys.getsizeof(self.person_index) * 2


def keys_of(halves: np.ndarray) -> list[int]:
    """(n, 2) uint64 id halves back to 128-bit ints."""
    return [(int(high) << 64) | int(low) for high, low in halves.tolist()]


class CatalogueCache:
    """The catalogue one process serves from, kept within the staleness bound of the module docstring.

    It owns the current catalogue, the lock that guards swapping it, the background reload
    and the clock that ages it (monotonic seconds; tests pass a fake one in).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.full_loads = 0  # full loads done by this process, for benchmarks
        self._lock = threading.Lock()
        self._current: Catalogue | None = None
        self._refreshing = threading.Event()  # set while a background reload runs
        # The active version as stored, by (generation, version): a new generation (an activation, or a
        # database that was emptied and filled again) reads the artifact anew even for the same number.
        self._model: tuple[tuple[str, int], LearnedRanker | None] | None = None
        self._pinned: dict[tuple, ServedModel | None] = {}  # experiments' pinned versions (pinned_model)

    def current(self) -> Catalogue:
        """The catalogue, brought up to date as described in the module docstring."""
        generation = _generation()
        last_interaction_id, venue_mark, model_version = _watermarks()
        bound = settings.LUNA_RECO["CACHE_STALENESS_SECONDS"]
        refresh_ahead = False
        with self._lock:
            catalogue = self._current
            if (
                catalogue is None
                or catalogue.generation != generation
                or catalogue.venue_mark != venue_mark
                or self.clock() - catalogue.loaded_at >= bound
                or last_interaction_id < catalogue.last_interaction_id
                or last_interaction_id - catalogue.last_interaction_id > MAX_DELTA_INTERACTIONS
            ):
                catalogue = self._load(venue_mark=venue_mark, generation=generation, model_version=model_version)
            else:
                if catalogue.model_version != model_version:
                    # Another version was activated (or none is): load that model, keep the venues.
                    catalogue = replace(catalogue, model=self._served_model(catalogue, model_version))
                if last_interaction_id > catalogue.last_interaction_id:
                    catalogue = _with_new_interactions(catalogue, up_to_id=last_interaction_id)
                # Past half the bound, reload off the request path so that no request has to wait
                # for the full reload at the bound itself.
                if (
                    settings.LUNA_RECO.get("REFRESH_IN_BACKGROUND", True)
                    and self.clock() - catalogue.loaded_at >= bound / 2
                    and not self._refreshing.is_set()
                ):
                    self._refreshing.set()
                    refresh_ahead = True
            self._current = catalogue
        if refresh_ahead:
            self.start_refresh_ahead()
        return catalogue

    def reload(self) -> Catalogue:
        """Load the catalogue now, for a caller that found the current one holding a deleted venue."""
        generation = _generation()
        _, venue_mark, model_version = _watermarks()
        with self._lock:
            self._current = self._load(venue_mark=venue_mark, generation=generation, model_version=model_version)
            return self._current

    def invalidate(self) -> None:
        """Make every process sharing the Django cache reload its catalogue on its next request."""
        cache.delete(GENERATION_CACHE_KEY)
        with self._lock:
            self._current = None

    def start_refresh_ahead(self) -> None:
        threading.Thread(target=self._refresh_ahead_in_thread, name="reco-catalogue-refresh", daemon=True).start()

    def refresh_ahead(self) -> None:
        """Load a new catalogue and swap it in, unless a newer one was loaded meanwhile."""
        try:
            generation = _generation()
            _, venue_mark, model_version = _watermarks()
            fresh = self._load(venue_mark=venue_mark, generation=generation, model_version=model_version)
            with self._lock:
                if self._current is not None and fresh.loaded_at > self._current.loaded_at:
                    self._current = fresh
        except Exception:
            # The request path still reloads synchronously once the bound is reached.
            logger.exception("Reloading the recommendation catalogue in the background failed")
        finally:
            self._refreshing.clear()

    def _refresh_ahead_in_thread(self) -> None:
        try:
            self.refresh_ahead()
        finally:
            connections.close_all()  # this thread's own connections

    def _load(self, *, venue_mark: datetime | None, generation: str, model_version: int | None) -> Catalogue:
        self.full_loads += 1
        CATALOGUE_LOADS.inc()
        # The age of what is loaded counts from before its queries.
        catalogue = catalogue_load(venue_mark=venue_mark, generation=generation, loaded_at=self.clock())
        return replace(catalogue, model=self._served_model(catalogue, model_version))

    def pinned_model(self, catalogue: Catalogue, version: int) -> ServedModel | None:
        """Another stored version than the active one, aligned to this catalogue (an experiment's arm
        pins it). Kept per process for the last PINNED_MODELS versions; None when it is gone or unreadable."""
        if catalogue.model is not None and catalogue.model.version == version:
            return catalogue.model
        key = (catalogue.generation, catalogue.loaded_at, version)
        with self._lock:
            if key in self._pinned:
                return self._pinned[key]
        artifact = RankerVersion.objects.filter(version=version).values_list("artifact", flat=True).first()
        served = None
        if artifact is not None:
            try:
                ranker = LearnedRanker.from_bytes(bytes(artifact))
            except ValueError:
                logger.exception("The pinned ranker version %s cannot be served", version)
            else:
                positions = catalogue.positions_of_keys(keys_of(ranker.venue_keys))
                people = {key: index for index, key in enumerate(keys_of(ranker.user_keys))}
                served = ServedModel(version, aligned(ranker, positions, catalogue.size), people)
        with self._lock:
            while len(self._pinned) >= PINNED_MODELS:
                self._pinned.pop(next(iter(self._pinned)))
            self._pinned[key] = served
        return served

    def _served_model(self, catalogue: Catalogue, version: int | None) -> ServedModel | None:
        """That version aligned to the catalogue; its artifact is read from the database only when it changed."""
        served = self._model_for(catalogue, version)
        MODEL_VERSION.set(0 if served is None else served.version)
        return served

    def _model_for(self, catalogue: Catalogue, version: int | None) -> ServedModel | None:
        if version is None:
            return None
        key = (catalogue.generation, version)
        if self._model is None or self._model[0] != key:
            artifact = RankerVersion.objects.filter(version=version).values_list("artifact", flat=True).first()
            if artifact is None:
                return None  # removed meanwhile
            try:
                self._model = (key, LearnedRanker.from_bytes(bytes(artifact)))
            except ValueError:
                # An artifact this code cannot read (an older format): the formula serves until a
                # version it can read is trained or activated, rather than every request failing.
                logger.exception("The active ranker version %s cannot be served; serving the formula", version)
                self._model = (key, None)
        ranker = self._model[1]
        if ranker is None:
            return None
        positions = catalogue.positions_of_keys(keys_of(ranker.venue_keys))
        people = {key: index for index, key in enumerate(keys_of(ranker.user_keys))}
        return ServedModel(version=version, ranker=aligned(ranker, positions, catalogue.size), person_index=people)


PINNED_MODELS = 2  # other versions than the active one a process keeps (each as large as the active one)

catalogue_cache = CatalogueCache()
