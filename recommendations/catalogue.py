"""The venue catalogue each process keeps in memory for scoring.

Coordinates, categories, price levels, names and popularity (distinct users
with a like or interest) of every venue, as arrays indexed by position.
Positions follow venue id order (the UUID's 128-bit value, which is also the
order of its canonical string), so a position doubles as the id tie-break.

Staleness bound (settings.LUNA_RECO["CACHE_STALENESS_SECONDS"]):
- every request first reads three watermarks in one query (the highest
  interaction id, the latest venue `updated_at` and the active model version,
  each the end of an index);
- new interactions are added to the popularity counts from that delta
  (`id > last seen`), so an interaction saved before the request is counted;
- a venue created or changed (its `updated_at` moves) reloads the venues, and a
  newly activated model version (train_ranker, or a rollback in the admin) is
  read and aligned to them: with LUNA_RECO["REFRESH_IN_BACKGROUND"] (the
  default) in a background thread, the requests meanwhile answered from what
  the process has (about 1 s at 100,000 venues); without it, on the request path,
  so the very next request sees it;
- a deleted venue is never recommended: deleting one changes a mark in the
  Django cache (`venue_deleted`, on every Venue delete), which is part of the
  venues' watermark; while a process's catalogue is older than the mark, the
  venues a request picks are looked up (one query), and if one is gone the
  catalogue is reloaded at once (`catalogue_cache.reload()`) and the request
  ranked again;
- other deletions (interactions, hence popularity), and rows whose transaction
  committed after a later id was already seen, show when popularity is counted
  again over every interaction, at least every CACHE_STALENESS_SECONDS: once half
  of it has passed, in the background, by one process of those sharing the Django
  cache, which publishes its counts there for the others to take (a recount is
  about 1 s at 1,000,000 interactions); on the request path when all of it has;
- `catalogue_cache.invalidate()` forces every process sharing the Django cache
  to reload on its next request.

Shared by the workers of a server: gunicorn's master loads the catalogue and the
model before it forks (recommendations/prefork.py), and the workers read the same
pages. Refreshing replaces the popularity array only (800 KB at 100,000 venues),
so the venues and the model stay shared until a venue changes or another model is
activated; then each worker holds its own until the next restart.
"""

from __future__ import annotations

import logging
import os
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
from django.db import connections, transaction
from django.db.models import CharField, Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from scipy.spatial import cKDTree

from luna.caching import CappedDict, SharedMark
from luna.db import CompiledRead
from luna.limits import CACHE_ERRORS
from luna.metrics import CACHE_FAILURES, CATALOGUE_LOADS, MODEL_VERSION, POPULARITY_RECOUNTS
from ranking.learned import LearnedRanker, aligned
from ranking.world import NO_CATEGORY, NearestVenues, fill_venue_geometry, id_positions
from recommendations.models import RankerVersion
from recommendations.selectors import plain_rows, uuid_key, venue_ids_present
from venues.models import Interaction, Venue

logger = logging.getLogger(__name__)

GENERATION_CACHE_KEY = "recommendations:catalogue-generation"
DELETIONS_CACHE_KEY = "recommendations:venue-deletions"

# What the venues were read after: the latest venue `updated_at` and the deletions mark.
VenueMark = tuple[datetime | None, str]

# A stored model version: (version, created_at).
ModelKey = tuple[int, datetime]

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
    venue_mark: VenueMark
    generation: str
    loaded_at: float
    # When the venues were read (`loaded_at` is when the popularity was counted, which is more often).
    venues_loaded_at: float = 0.0
    # The active trained model, aligned to these venue positions; None: the formula serves.
    model: ServedModel | None = None
    # The active version it was built for (None: none is active). Kept beside `model`, which is
    # also None when that version cannot be read.
    active_version: int | None = None
    # Venue positions on the unit sphere, a k-d tree over them, the venues nearest each (filled as
    # asked), and category codes as the engine has them (NO_CATEGORY for venues without one);
    # derived from the fields above when not given.
    venue_points: np.ndarray | None = None
    venue_tree: cKDTree | None = None
    venue_nearest: NearestVenues | None = None
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
        fill_venue_geometry(self, self.lat, self.lng)
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


# Lost marks read as a change (a reload, never a stale answer); while the cache is down, each is the one
# this process read last, so the catalogue it holds is served, not reloaded per request (luna.caching).
_GENERATION = SharedMark(GENERATION_CACHE_KEY, use="catalogue")
_DELETIONS = SharedMark(DELETIONS_CACHE_KEY, use="catalogue")


def _generation() -> str:
    return _GENERATION.read()


def _mark_deletions() -> None:
    _DELETIONS.change()


def venue_deleted() -> None:
    """A venue is being deleted: mark it now, and again once the deletion has committed, so that a
    catalogue read in between (which may still hold the venue) is older than the mark. Once per
    transaction, however many venues it deletes (a reset deletes them all)."""
    connection = transaction.get_connection()
    if any(entry[1] is _mark_deletions for entry in connection.run_on_commit):
        return  # this transaction has marked already (a rollback drops the pending mark with the rest)
    _mark_deletions()
    transaction.on_commit(_mark_deletions)


_WATERMARKS = CompiledRead(
    lambda: (
        Interaction.objects.order_by("-id")
        .annotate(
            venue_mark=Subquery(Venue.objects.order_by("-updated_at").values("updated_at")[:1]),
            model_version=Subquery(RankerVersion.objects.filter(is_active=True).values("version")[:1]),
        )
        .values_list("id", "venue_mark", "model_version")[:1]
    )
)


def _watermarks() -> tuple[int, VenueMark, int | None]:
    """The highest interaction id, the venues' mark (the latest update, from the same query, and the
    deletions mark, read first) and the active model version, in one query answered from indexes
    (run on every request, so its SQL is compiled once)."""
    deletions = _DELETIONS.read()
    rows = _WATERMARKS.rows()
    if not rows:  # no interactions yet
        latest = Venue.objects.order_by().aggregate(last=Max("updated_at"))["last"]
        version = RankerVersion.objects.filter(is_active=True).values_list("version", flat=True).first()
        return 0, (latest, deletions), version
    last_interaction_id, latest, version = rows[0]
    return last_interaction_id, (latest, deletions), version


def popularity_count(position: dict[int, int], size: int) -> tuple[np.ndarray, int]:
    """Distinct users with a like or interest, per venue position, and the interaction id they count up to."""
    # The counts and the interaction watermark come from one statement, hence one snapshot:
    # every positive interaction up to the watermark is counted, none after it. The watermark
    # read first only stands when no interaction is positive (the statement returns no row).
    last_interaction_id = Interaction.objects.order_by().aggregate(last=Max("id"))["last"] or 0
    rows = plain_rows(
        Interaction.objects.filter(interaction_type__in=Interaction.POSITIVE_TYPES)
        .order_by()
        .values("venue_id")
        .annotate(
            count=Count("user_id", distinct=True),
            last_id=Subquery(Interaction.objects.order_by("-id").values("id")[:1]),
        )
        .values_list(Cast("venue_id", CharField()), "count", "last_id")
    )
    counts = np.zeros(size, dtype=np.int64)
    for venue_id, count, last_id in rows:
        last_interaction_id = last_id
        index = position.get(uuid_key(venue_id))
        if index is not None:
            counts[index] = count
    return counts, last_interaction_id


def catalogue_load(*, venue_mark: VenueMark, generation: str, loaded_at: float) -> Catalogue:
    """Every venue, and the popularity counts up to the interaction watermark, from the database."""
    rows = plain_rows(
        Venue.objects.order_by("id").values_list(
            Cast("id", CharField()), "name", "lat", "lng", "category", "price_level"
        )
    )
    ids = [uuid_key(row[0]) for row in rows]
    order, position = id_positions(ids)  # id order, whatever the database's collation
    rows = [rows[index] for index in order]
    ids = [ids[index] for index in order]
    categories: list[str] = []
    codes: dict[str, int] = {}
    category_code = np.empty(len(rows), dtype=np.int32)
    for index, row in enumerate(rows):
        code = codes.get(row[4])
        if code is None:
            code = codes[row[4]] = len(categories)
            categories.append(row[4])
        category_code[index] = code
    counts, last_interaction_id = popularity_count(position, len(rows))
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
        venues_loaded_at=loaded_at,
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


# --- Popularity counted by one process, read by the others ------------------------------------------
# A recount is one GROUP BY over every positive interaction (about 1 s at 1,000,000). One process
# of those sharing the Django cache does it and publishes the counts there; the others take them
# instead of counting themselves. The counts are valid for one set of venues (the positions they
# are at), named by the generation, the latest venue update and the number of venues.


def _popularity_key() -> str:
    # Per database: test runs in parallel share the file cache, each with a database of its own.
    return f"recommendations:popularity:{connections['default'].settings_dict['NAME']}"


def _venue_set(catalogue: Catalogue) -> tuple:
    return (catalogue.generation, catalogue.venue_mark, catalogue.size)


def popularity_publish(catalogue: Catalogue) -> None:
    """Offer this catalogue's counts to every process sharing the Django cache."""
    key = _popularity_key()
    entry = {
        "venues": _venue_set(catalogue),
        "counted_at": catalogue.loaded_at,
        "last_interaction_id": catalogue.last_interaction_id,
        "counts": catalogue.popularity.astype(np.int32).tobytes(),
    }
    try:
        cache.set(key, entry, timeout=PUBLISHED_SECONDS)
        cache.set(f"{key}:stamp", catalogue.loaded_at, timeout=PUBLISHED_SECONDS)  # after the counts it names
    except Exception:
        # The others count for themselves then; the request that counted is served anyway.
        logger.exception("Publishing the popularity counts in the cache failed")


def popularity_published(catalogue: Catalogue, *, up_to_id: int) -> Catalogue | None:
    """The catalogue with counts another process published, when they are newer and fit its venues.

    Counts made past `up_to_id` (the watermark this request read) wait for a later request, so
    that the catalogue never counts beyond what the request path has seen.
    """
    key = _popularity_key()
    try:
        stamp = cache.get(f"{key}:stamp")  # a few bytes: the counts themselves are read only when newer
        if stamp is None or stamp <= catalogue.loaded_at:
            return None
        entry = cache.get(key)
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable, no published popularity counts: %s", exc)
        CACHE_FAILURES.labels(use="catalogue").inc()
        return None
    if (
        not entry
        or entry["counted_at"] <= catalogue.loaded_at
        or entry["venues"] != _venue_set(catalogue)
        or entry["last_interaction_id"] > up_to_id
    ):
        return None
    counts = np.frombuffer(entry["counts"], dtype=np.int32).astype(np.int64)
    if len(counts) != catalogue.size:
        return None
    return replace(
        catalogue, popularity=counts, last_interaction_id=entry["last_interaction_id"], loaded_at=entry["counted_at"]
    )


@dataclass(frozen=True)
class ServedModel:
    version: int
    ranker: LearnedRanker  # its venue arrays at this catalogue's positions
    person_index: dict[int, int]  # user id (as an int) -> row of the people the model knows

    def nbytes(self) -> int:
        reference = self.ranker.reference
        arrays = [reference.visits.data, reference.visits.indices, reference.visits.indptr]
        arrays += [reference.visits_t.data, reference.visits_t.indices, reference.visits_t.indptr]
        for model in [*reference.factors, *reference.bm25_factors]:
            kept = (model.items, model.rows, model.positions, model.by_norm, model.sorted_norms)
            arrays += [array for array in kept if array is not None]
        return sum(array.nbytes for array in arrays) + sys.getsizeof(self.person_index) * 2


def keys_of(halves: np.ndarray) -> list[int]:
    """(n, 2) uint64 id halves back to 128-bit ints."""
    return [(int(high) << 64) | int(low) for high, low in halves.tolist()]


class CatalogueCache:
    """The catalogue one process serves from, kept within the staleness bound of the module docstring.

    It owns the current catalogue, the lock that guards swapping it, the background refresh
    and the clock that ages it (seconds; tests pass a fake one in). The clock is the wall clock
    because counts published by one process are aged by the others.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.full_loads = 0  # full loads done by this process, for benchmarks
        self.recounts = 0  # popularity recounts done by this process, for benchmarks
        self._lock = threading.Lock()
        self._current: Catalogue | None = None
        self._refreshing = threading.Event()  # set while a background refresh runs
        # The last active version read, by its key (version, created_at).
        self._model: tuple[ModelKey, LearnedRanker] | None = None
        # Versions whose artifact could not be read: refused once, never read (nor logged) again.
        self._refused: set[ModelKey] = set()
        self._pinned = CappedDict(PINNED_MODELS)  # experiments' pinned versions (pinned_model)

    def current(self) -> Catalogue:
        """The catalogue, brought up to date as described in the module docstring."""
        generation = _generation()
        last_interaction_id, venue_mark, version = _watermarks()
        bound = settings.LUNA_RECO["CACHE_STALENESS_SECONDS"]
        background = settings.LUNA_RECO.get("REFRESH_IN_BACKGROUND", True)
        start_refresh = False
        with self._lock:
            catalogue = self._current
            if (
                catalogue is None
                or catalogue.generation != generation
                or last_interaction_id < catalogue.last_interaction_id  # emptied and filled again
            ):
                catalogue = self._load(venue_mark=venue_mark, generation=generation, version=version)
            else:
                changed = catalogue.venue_mark != venue_mark or catalogue.active_version != version
                if changed and not background:
                    catalogue = self._updated(catalogue, venue_mark=venue_mark, version=version)
                if self.clock() - catalogue.loaded_at >= bound / 2:
                    catalogue = popularity_published(catalogue, up_to_id=last_interaction_id) or catalogue
                age = self.clock() - catalogue.loaded_at
                if age >= bound or last_interaction_id - catalogue.last_interaction_id > MAX_DELTA_INTERACTIONS:
                    catalogue = self._recount(catalogue)
                elif last_interaction_id > catalogue.last_interaction_id:
                    catalogue = _with_new_interactions(catalogue, up_to_id=last_interaction_id)
                # Changed venues, another model, or counts past half the bound: brought up to date off
                # the request path, so that no request waits (the bound itself is the backstop above).
                if background and (changed or age >= bound / 2) and not self._refreshing.is_set():
                    self._refreshing.set()
                    start_refresh = True
            self._current = catalogue
        if start_refresh:
            self.start_refresh_ahead()
        return catalogue

    @staticmethod
    def may_hold_deleted(catalogue: Catalogue) -> bool:
        """Whether a venue was deleted since this catalogue's venues were read (then the venues a
        request picks from it are looked up before they are shown)."""
        return catalogue.venue_mark[1] != _DELETIONS.read()

    def holds_deleted(self, catalogue: Catalogue, venue_ids: list[uuid.UUID]) -> bool:
        """Whether one of these venues, picked from `catalogue`, has been deleted since (looked up
        only when the deletions mark says one may have been); then `reload()` and rank again."""
        return self.may_hold_deleted(catalogue) and len(venue_ids_present(venue_ids=venue_ids)) < len(venue_ids)

    def reload(self) -> Catalogue:
        """Load the catalogue now, for a caller that found the current one holding a deleted venue."""
        generation = _generation()
        _, venue_mark, version = _watermarks()
        with self._lock:
            self._current = self._load(venue_mark=venue_mark, generation=generation, version=version)
            return self._current

    def invalidate(self) -> None:
        """Make every process sharing the Django cache reload its catalogue on its next request."""
        _GENERATION.change()
        with self._lock:
            self._current = None

    def warm(self) -> Catalogue | None:
        """Load the catalogue and the active model now (gunicorn's master, before it forks its
        workers: they share what it loaded). None, logged, when the database cannot be read."""
        try:
            return self.current()
        except Exception:
            logger.exception("The recommendation catalogue could not be loaded ahead; workers will load it")
            return None

    def after_fork_in_child(self) -> None:
        """A forked process has no refresh thread, whatever its parent had running (gunicorn's master
        may have started one while it warmed up): a lock or a flag copied from it would stay taken."""
        self._lock = threading.Lock()
        self._refreshing = threading.Event()

    def start_refresh_ahead(self) -> None:
        threading.Thread(target=self._refresh_ahead_in_thread, name="reco-catalogue-refresh", daemon=True).start()

    def refresh_ahead(self) -> None:
        """Bring the catalogue up to date and swap the result in: the venues reloaded when one changed,
        the active model when another one is, and the popularity counts past half the bound (taken from
        another process when it published newer ones, else counted here and published)."""
        try:
            generation = _generation()
            last_interaction_id, venue_mark, version = _watermarks()
            with self._lock:
                catalogue = self._current
            if catalogue is None or catalogue.generation != generation:
                return  # the next request loads it
            if catalogue.venue_mark != venue_mark:
                fresh = self._load(venue_mark=venue_mark, generation=generation, version=version)
                with self._lock:
                    if self._current is None or self._current.venues_loaded_at <= catalogue.venues_loaded_at:
                        self._current = fresh
                return
            model = catalogue.model
            if catalogue.active_version != version:
                model = self._served_model(catalogue, version)
            counted = None
            if self.clock() - catalogue.loaded_at >= settings.LUNA_RECO["CACHE_STALENESS_SECONDS"] / 2:
                counted = self._counted_once(catalogue, up_to_id=last_interaction_id)
            with self._lock:
                current = self._current
                if current is None or current.venues_loaded_at != catalogue.venues_loaded_at:
                    return  # reloaded meanwhile: that catalogue is newer than anything made here
                if current.active_version != version:
                    current = replace(current, model=model, active_version=version)
                if counted is not None and counted.loaded_at > current.loaded_at:
                    # The request path picks up the interactions after these counts on its next delta.
                    current = replace(
                        current,
                        popularity=counted.popularity,
                        last_interaction_id=counted.last_interaction_id,
                        loaded_at=counted.loaded_at,
                    )
                self._current = current
        except Exception:
            # The request path still recounts synchronously once the bound is reached.
            logger.exception("Refreshing the recommendation catalogue in the background failed")
        finally:
            self._refreshing.clear()

    def _counted_once(self, catalogue: Catalogue, *, up_to_id: int) -> Catalogue | None:
        """Counts newer than the catalogue's: another process's when it published some, else counted
        here, by the one process holding the cache's lock; the others wait for its counts a while."""
        published = popularity_published(catalogue, up_to_id=up_to_id)
        if published is not None:
            return published
        lock = f"{_popularity_key()}:lock"
        bound = settings.LUNA_RECO["CACHE_STALENESS_SECONDS"]
        owner = f"{os.getpid()}:{uuid.uuid4().hex}"
        try:
            locked = cache.add(lock, owner, timeout=max(int(bound), 1))
        except CACHE_ERRORS:
            return self._recount(catalogue)  # the cache is down: nobody can publish counts, count here
        if locked:
            try:
                return self._recount(catalogue)
            finally:
                if cache.get(lock) == owner:  # not one another process took after ours expired
                    cache.delete(lock)
        for _ in range(int(bound / 2 / PUBLISHED_POLL_SECONDS)):
            time.sleep(PUBLISHED_POLL_SECONDS)
            last_interaction_id, venue_mark, version = _watermarks()
            if venue_mark != catalogue.venue_mark or version != catalogue.active_version:
                return None  # stop waiting: the next request starts the refresh that loads them
            published = popularity_published(catalogue, up_to_id=last_interaction_id)
            if published is not None:
                return published
        return None

    def _refresh_ahead_in_thread(self) -> None:
        try:
            self.refresh_ahead()
        finally:
            connections.close_all()  # this thread's own connections

    def _updated(self, catalogue: Catalogue, *, venue_mark: VenueMark, version: int | None) -> Catalogue:
        """On the request path: the venues reloaded when one changed, else the other model swapped in."""
        if catalogue.venue_mark != venue_mark:
            return self._load(venue_mark=venue_mark, generation=catalogue.generation, version=version)
        return replace(catalogue, model=self._served_model(catalogue, version), active_version=version)

    def _recount(self, catalogue: Catalogue) -> Catalogue:
        """The catalogue with its popularity counted again (a deletion shows), published to the others."""
        self.recounts += 1
        POPULARITY_RECOUNTS.inc()
        counted_at = self.clock()  # the age of the counts starts before their query
        counts, last_interaction_id = popularity_count(catalogue.position, catalogue.size)
        fresh = replace(catalogue, popularity=counts, last_interaction_id=last_interaction_id, loaded_at=counted_at)
        popularity_publish(fresh)
        return fresh

    def _load(self, *, venue_mark: VenueMark, generation: str, version: int | None) -> Catalogue:
        self.full_loads += 1
        CATALOGUE_LOADS.inc()
        # The age of what is loaded counts from before its queries.
        catalogue = catalogue_load(venue_mark=venue_mark, generation=generation, loaded_at=self.clock())
        popularity_publish(catalogue)
        return replace(catalogue, model=self._served_model(catalogue, version), active_version=version)

    def pinned_model(self, catalogue: Catalogue, version: int) -> ServedModel | None:
        """Another stored version than the active one, aligned to this catalogue (an experiment's arm
        pins it). Kept per process for the last PINNED_MODELS versions; None when it is gone or unreadable."""
        if catalogue.model is not None and catalogue.model.version == version:
            return catalogue.model
        key = (catalogue.generation, catalogue.venues_loaded_at, version)
        with self._lock:
            if key in self._pinned:
                return self._pinned[key]
        created = RankerVersion.objects.filter(version=version).values_list("created_at", flat=True).first()
        read = None if created is None else self._read((version, created), catalogue)
        served = None if read is None else read[1]
        with self._lock:
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
        created = RankerVersion.objects.filter(version=version).values_list("created_at", flat=True).first()
        if created is None:
            return None  # removed meanwhile
        # By (version, created_at): a database emptied and filled again reads the artifact anew even
        # for the same number.
        key = (version, created)
        kept = self._model  # once: another thread may replace it meanwhile
        if kept is not None and kept[0] == key:
            return _served(kept[1], catalogue, version)
        read = self._read(key, catalogue)
        if read is None:
            # An artifact this code cannot read (corrupt, truncated, an older format): what the process
            # served stays, until a version it can read is trained or activated.
            return self._previous(kept, catalogue)
        self._model = (key, read[0])
        return read[1]

    def _previous(self, kept: tuple[ModelKey, LearnedRanker] | None, catalogue: Catalogue) -> ServedModel | None:
        """The version this process serves now, aligned to `catalogue`, while it is still stored."""
        current = self._current
        if kept is None or current is None or current.model_version != kept[0][0]:
            return None  # it serves the formula
        (version, created), ranker = kept
        if not RankerVersion.objects.filter(version=version, created_at=created).exists():
            return None  # a database emptied and filled again
        return _served(ranker, catalogue, version)

    def _read(self, key: ModelKey, catalogue: Catalogue) -> tuple[LearnedRanker, ServedModel] | None:
        """The stored version `key` and that version aligned to the catalogue; None when it is gone or
        cannot be read. One that cannot be read is refused once: one log line, and never read again by
        this process (each refresh would otherwise read it, fail and log again)."""
        if key in self._refused:
            return None
        version, created = key
        artifact = (
            RankerVersion.objects.filter(version=version, created_at=created).values_list("artifact", flat=True).first()
        )
        if artifact is None:
            return None
        try:
            ranker = LearnedRanker.from_bytes(bytes(artifact))
            return ranker, _served(ranker, catalogue, version)
        except Exception as error:  # whatever reading a bad artifact raises: BadZipFile, KeyError, ValueError...
            self._refused.add(key)
            logger.error(
                "Ranker version %s cannot be read (%s: %s), so it is not served; what was served before stays",
                version,
                type(error).__name__,
                error,
            )
            return None


def _served(ranker: LearnedRanker, catalogue: Catalogue, version: int) -> ServedModel:
    positions = catalogue.positions_of_keys(keys_of(ranker.venue_keys))
    people = {person: index for index, person in enumerate(keys_of(ranker.user_keys))}
    return ServedModel(version, aligned(ranker, positions, catalogue.size), people)


PINNED_MODELS = 2  # other versions than the active one a process keeps (each as large as the active one)
PUBLISHED_SECONDS = 24 * 3600  # how long published counts stay in the cache (their age is checked anyway)
PUBLISHED_POLL_SECONDS = 0.25  # how often a process waiting for another's counts looks for them

catalogue_cache = CatalogueCache()
