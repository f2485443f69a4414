"""Per-user candidate lists: each user's best venues by a ranker, ranked ahead and kept in one row, so
that a venue recommendation reads that row instead of ranking every venue.

A list (models.CandidateList, one per user and ranker key) holds the LUNA_CANDIDATES best venues over
the whole catalogue in the ranker's order (score desc, distance asc, venue id), packed as arrays
(`_pack`): per venue its catalogue position (int32), the served 0-1 score, the ranker's own score
(what the order and a plan's group strategies are computed on: the served one is clipped), the
distance from home, each feature and each contribution (float64, as the live ranking computes them),
whether the user has interacted with it (uint8), and once the user's baseline. Interacted venues are kept, flagged, so
`exclude_interacted` both ways answers from one list.

A request is answered from the list (`candidates_answer`) when the list is the user's for the ranker
the request resolves to and:
- it was ranked over the venues the process's catalogue holds (same generation, venue mark and
  deletions mark: a new, edited or deleted venue shows in the next answer, as without lists);
- it was ranked on the user's own inputs as they are now (`own_mark`: their interactions' count and
  latest id, their edges' counts and latest change both ways, their home), read in the same query
  as the list: a like, a new friend or a move shows in the user's next answer, whichever code path
  wrote it;
- it was ranked by the model version that serves now: another activated version (a retraining, a
  rollback) answers from the next request on, as without lists;
- it is younger than LUNA_CANDIDATES_MAX_AGE: what others do (popularity, friends' visits, a friend
  who leaves) shows within that bound;
- and at least `limit` of its venues pass the filters (category, price, distance, not interacted),
  or it holds every venue. The list is a prefix of the order over every venue, so the first `limit`
  that pass are exactly what ranking every venue would answer.
Otherwise the live ranking answers (recommendations.services), and when the list was missing or out
of date it is ranked again first and kept (read-through), so the next request reads it.

Refreshing: after a user's interaction or edge commits, their lists are ranked again (inline without
a Celery broker, else on a worker: `refresh_user_candidates`); Celery beat runs `refresh_candidates`
every quarter of the bound, which ranks again, oldest first and LUNA_CANDIDATES_BATCH users per task,
the lists past half the bound or ranked over other venues or by another model (without a broker:
`manage.py refresh_candidates` from cron). A store that cannot be read or written (locked, missing)
is logged, counted (`luna_candidate_lists{outcome="failed"}`) and the live ranking answers.

`?ranker=popularity` and `?ranker=distance` are not kept: they rank with no per-user signal but the
distance, which is cheaper than reading a list.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, FilteredRelation, Max, OuterRef, Q, Subquery
from django.utils import timezone

from luna.db import CompiledRead
from luna.errors import Conflict
from luna.metrics import CANDIDATE_LISTS
from ranking.learned import LearnedRanker
from ranking.rankers import FormulaRanker, readable_explanation, top_k_for
from recommendations.catalogue import Catalogue, ServedModel, catalogue_cache
from recommendations.models import CandidateList
from recommendations.selectors import user_friends, user_venue_totals
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction

logger = logging.getLogger(__name__)

# The rankers whose lists are kept; the others always rank live (see the module's docstring).
KEPT_RANKERS = (LearnedRanker.name, FormulaRanker.name)


@dataclass(frozen=True)
class Candidates:
    """A user's list, unpacked: arrays of one entry per venue, best first."""

    ranker: str
    model_version: int | None
    venue_mark: str
    complete: bool
    positions: np.ndarray
    score: np.ndarray  # served 0-1
    raw: np.ndarray  # the ranker's own score, in whose order the list is
    distance: np.ndarray  # km from home, NaN without one
    interacted: np.ndarray  # bool
    features: dict[str, np.ndarray]
    contributions: dict[str, np.ndarray]
    baseline: float


def enabled() -> bool:
    return settings.LUNA_CANDIDATES > 0 and settings.LUNA_CANDIDATES_MAX_AGE > 0


def ranker_key(name: str, model_version: int | None) -> str:
    """The list's key for the ranker that answers: its name, and a pinned version (an experiment's arm)."""
    return name if model_version is None else f"{name}@{model_version}"


# The payload's layout: a list packed in another is never read (its venue mark differs) and is due.
LIST_FORMAT = 2  # 2: the ranker's own score after the served one


def venue_mark(catalogue: Catalogue) -> str:
    """What the catalogue's venue positions stand for (the generation, latest venue change, deletions),
    and the payload's LIST_FORMAT."""
    latest, deletions = catalogue.venue_mark
    return f"{LIST_FORMAT}|{catalogue.generation}|{'' if latest is None else latest.isoformat()}|{deletions}"


# --- The user's own inputs, read with the list -------------------------------------------------------

_MARKS = ("m_interactions", "m_last_interaction", "m_edges_out", "m_edge_out_at", "m_edges_in", "m_edge_in_at")


def _mark_columns(user_ref: str) -> dict:
    """Subqueries over the user's interactions and edges (each one index range) that change whenever
    one is added, removed or changed."""
    interactions = Interaction.objects.filter(user_id=OuterRef(user_ref)).order_by().values("user_id")
    out = SocialEdge.objects.filter(user_id=OuterRef(user_ref)).order_by().values("user_id")
    into = SocialEdge.objects.filter(other_user_id=OuterRef(user_ref)).order_by().values("other_user_id")
    return {
        "m_interactions": Subquery(interactions.annotate(n=Count("id")).values("n")[:1]),
        "m_last_interaction": Subquery(interactions.annotate(n=Max("id")).values("n")[:1]),
        "m_edges_out": Subquery(out.annotate(n=Count("id")).values("n")[:1]),
        "m_edge_out_at": Subquery(out.annotate(n=Max("updated_at")).values("n")[:1]),
        "m_edges_in": Subquery(into.annotate(n=Count("id")).values("n")[:1]),
        "m_edge_in_at": Subquery(into.annotate(n=Max("updated_at")).values("n")[:1]),
    }


def _own_mark(user: User, marks: Sequence) -> str:
    return ":".join(str(mark) for mark in (*marks, user.home_lat if user.has_home else None, user.home_lng))


# --- Packing -----------------------------------------------------------------------------------------


def _pack(candidates: Candidates) -> tuple[str, bytes]:
    """(columns, payload): int32 positions, float64 baseline then score, raw score, distance, each feature
    and each contribution (a row of every venue each), uint8 interacted flags."""
    columns = ",".join(candidates.features) + "|" + ",".join(candidates.contributions)
    values = np.stack(
        [
            candidates.score,
            candidates.raw,
            candidates.distance,
            *candidates.features.values(),
            *candidates.contributions.values(),
        ]
    ).astype("<f8")
    payload = b"".join(
        (
            candidates.positions.astype("<i4").tobytes(),
            np.array([candidates.baseline], dtype="<f8").tobytes(),
            values.tobytes(),
            candidates.interacted.astype(np.uint8).tobytes(),
        )
    )
    return columns, payload


def _unpack(
    *, ranker: str, model_version: int | None, venue_mark: str, complete: bool, columns: str, size: int, payload
) -> Candidates:
    payload = bytes(payload)
    feature_names, contribution_names = ([name for name in part.split(",") if name] for part in columns.split("|"))
    positions = np.frombuffer(payload, dtype="<i4", count=size)
    offset = 4 * size
    baseline = float(np.frombuffer(payload, dtype="<f8", count=1, offset=offset)[0])
    offset += 8
    rows = 3 + len(feature_names) + len(contribution_names)
    values = np.frombuffer(payload, dtype="<f8", count=rows * size, offset=offset).reshape(rows, size)
    offset += 8 * rows * size
    interacted = np.frombuffer(payload, dtype=np.uint8, count=size, offset=offset).astype(bool)
    names = len(feature_names)
    return Candidates(
        ranker=ranker,
        model_version=model_version,
        venue_mark=venue_mark,
        complete=complete,
        positions=positions.astype(np.intp),
        score=values[0],
        raw=values[1],
        distance=values[2],
        interacted=interacted,
        features=dict(zip(feature_names, values[3 : 3 + names], strict=True)),
        contributions=dict(zip(contribution_names, values[3 + names :], strict=True)),
        baseline=baseline,
    )


# --- Ranking a list ----------------------------------------------------------------------------------


def candidates_rank(user: User, catalogue: Catalogue, requested: str | None, model_version: int | None) -> Candidates:
    """The user's best LUNA_CANDIDATES venues over the whole catalogue, as the live ranking computes them
    (recommendations.services._rank_venues with no filters and a long limit)."""
    from recommendations.services import best_of_shortlist, served_ranker, user_world

    engine, name, served = served_ranker(catalogue, requested, model_version)
    totals = user_venue_totals(user_id=user.id)
    friends = [user_friends(user_id=user.id, sharing=True)] if name == LearnedRanker.name else None
    world = user_world(catalogue, [(user, totals)], friends=friends, model=served)
    size = min(settings.LUNA_CANDIDATES, catalogue.size)

    def choose(scored) -> tuple[np.ndarray, np.ndarray]:
        best = top_k_for(scored, 0, size, np.arange(scored.score.shape[1]))
        return best, scored.score[0, best]

    scored, best, _ = best_of_shortlist(engine, world, np.array([0]), size, choose, ceiling=lambda bound: bound[0])
    features, contributions = scored.explanation(np.array([0]), best)
    shown, baseline, contributions = readable_explanation(
        scored.score[:, best], scored.baseline(np.array([0])), contributions, engine.readable_scale()
    )
    positions = scored.venue_positions(best)
    interacted = np.zeros(catalogue.size, dtype=bool)
    interacted[world.interactions.indices] = True
    return Candidates(
        ranker=name,
        model_version=None if served is None else served.version,
        venue_mark=venue_mark(catalogue),
        complete=len(best) == catalogue.size,
        positions=np.asarray(positions, dtype=np.intp),
        score=np.asarray(shown[0], dtype=np.float64),
        raw=np.asarray(scored.score[0, best], dtype=np.float64),
        distance=np.asarray(scored.distance[0, best], dtype=np.float64),
        interacted=interacted[positions],
        features={name: np.asarray(values[0], dtype=np.float64) for name, values in features.items()},
        contributions={name: np.asarray(values[0], dtype=np.float64) for name, values in contributions.items()},
        baseline=float(baseline[0]),
    )


# --- Reading and writing the store --------------------------------------------------------------------


@contextmanager
def _own_savepoint():
    """Inside a transaction, a failed statement of the store is rolled back alone, so the live ranking
    that follows can still read; outside one (the request path), nothing is added."""
    if connection.in_atomic_block:
        with transaction.atomic():
            yield
    else:
        yield


_LIST_FIELDS = ("model_version", "venue_mark", "own_mark", "complete", "columns", "size", "payload", "built_at")


_READS: dict[str, CompiledRead] = {}  # by ranker key: a few (learned, formula, pinned versions)


def _lists_read(key: str) -> CompiledRead:
    """The lists under `key` of these users and each one's own marks, one query written once per key
    (on every request: building and compiling it would cost more than running it)."""
    read = _READS.get(key)
    if read is None:
        read = _READS[key] = CompiledRead(
            lambda user_ids: (
                User.objects.filter(pk__in=user_ids)
                .annotate(kept=FilteredRelation("candidate_lists", condition=Q(candidate_lists__ranker=key)))
                .annotate(**_mark_columns("pk"))
                .values_list("pk", "kept__id", *(f"kept__{field}" for field in _LIST_FIELDS), *_MARKS)
            )
        )
    return read


def _read(user: User, key: str) -> tuple[dict | None, str]:
    """(the kept list's fields, None without one; the user's own mark now), in one query."""
    rows = _lists_read(key).rows(user_ids=[user.pk])
    if not rows:  # the user is gone
        return None, ""
    row = rows[0][1:]
    kept = None if row[0] is None else dict(zip(_LIST_FIELDS, row[1 : 1 + len(_LIST_FIELDS)], strict=True))
    return kept, _own_mark(user, row[1 + len(_LIST_FIELDS) :])


def own_mark(user: User) -> str:
    """The user's own inputs as they are now (one query)."""
    return _read(user, "")[1]


def _store(user_id: uuid.UUID, key: str, candidates: Candidates, mark: str) -> None:
    columns, payload = _pack(candidates)
    fields = {
        "model_version": candidates.model_version,
        "venue_mark": candidates.venue_mark,
        "own_mark": mark,
        "complete": candidates.complete,
        "columns": columns,
        "size": len(candidates.positions),
        "payload": payload,
        "built_at": timezone.now(),
    }
    CandidateList.objects.bulk_create(
        [CandidateList(user_id=user_id, ranker=key, **fields)],
        update_conflicts=True,
        unique_fields=["user", "ranker"],
        update_fields=list(fields),
    )


def _fresh(kept: dict, mark: str, catalogue: Catalogue) -> bool:
    age = timezone.now() - kept["built_at"]
    return (
        kept["own_mark"] == mark
        and kept["venue_mark"] == venue_mark(catalogue)
        and age < timedelta(seconds=settings.LUNA_CANDIDATES_MAX_AGE)
    )


def _current(kept: dict | None, mark: str, model: ServedModel | None, catalogue: Catalogue) -> bool:
    """Whether a kept list may answer: ranked by the model that serves, on the user's inputs as they are,
    over the catalogue's venues, within the bound."""
    version = None if model is None else model.version
    return kept is not None and kept["model_version"] == version and _fresh(kept, mark, catalogue)


def _unpack_kept(name: str, kept: dict) -> Candidates:
    return _unpack(
        ranker=name, **{field: kept[field] for field in _LIST_FIELDS if field not in ("own_mark", "built_at")}
    )


def candidates_answer(
    user: User,
    catalogue: Catalogue,
    *,
    limit: int,
    categories: Iterable[str] | None,
    max_distance_km: float | None,
    max_price_level: int | None,
    exclude_interacted: bool,
    ranker: str | None,
    model_version: int | None = None,
) -> list | None:
    """The answer from the user's kept list (read, or ranked and kept when it is missing or out of date);
    None when the live ranking must answer: the filters go past the list, the ranker is not kept, the
    store failed."""
    if not enabled() or ranker not in (None, *KEPT_RANKERS):
        return None
    from recommendations.services import served_ranker

    _, name, model = served_ranker(catalogue, ranker, model_version)  # a 409 for `learned` without a model
    key = ranker_key(name, model_version)
    try:
        with _own_savepoint():
            kept, mark = _read(user, key)
    except DatabaseError as error:
        logger.warning("Candidate lists cannot be read, ranking live: %s", error)
        CANDIDATE_LISTS.labels(outcome="failed").inc()
        return None
    if _current(kept, mark, model, catalogue):
        candidates = _unpack_kept(name, kept)
        outcome = "hit"
    else:
        # `mark` was read before the inputs are: a write in between shows as a change on the next read.
        candidates = candidates_rank(user, catalogue, ranker, model_version)
        outcome = "built"
        try:
            with _own_savepoint():
                _store(user.pk, key, candidates, mark)
        except DatabaseError as error:
            logger.warning("A candidate list cannot be kept, answering without keeping it: %s", error)
            outcome = "failed"
    rows = candidates_select(
        candidates,
        catalogue,
        limit=limit,
        categories=categories,
        max_distance_km=max_distance_km,
        max_price_level=max_price_level,
        exclude_interacted=exclude_interacted,
    )
    CANDIDATE_LISTS.labels(outcome="live" if rows is None else outcome).inc()
    return rows


def members_candidates(users: Sequence[User], catalogue: Catalogue, ranker: str | None) -> list[Candidates] | None:
    """Each user's kept list for the ranker `ranker` resolves to (the active model, unpinned: a plan's
    group has no experiment arm), in `users`' order, read in one query; None unless every one is
    current by the rules a user's own read applies (`candidates_answer`), the ranker is kept and
    the store could be read. Nothing is ranked or kept here: a missing or out-of-date list is ranked
    again by its user's next read or by the refresh, which costs more than ranking the group live once."""
    if not enabled() or not users or ranker not in (None, *KEPT_RANKERS):
        return None
    from recommendations.services import served_ranker

    _, name, model = served_ranker(catalogue, ranker)  # a 409 for `learned` without a model
    try:
        with _own_savepoint():
            rows = _lists_read(ranker_key(name, None)).rows(user_ids=[user.pk for user in users])
    except DatabaseError as error:
        logger.warning("Candidate lists cannot be read, ranking the group live: %s", error)
        CANDIDATE_LISTS.labels(outcome="failed").inc()
        return None
    by_user = {row[0]: row for row in rows}
    found = []
    for user in users:
        row = by_user.get(user.pk)
        if row is None or row[1] is None:
            return None
        kept = dict(zip(_LIST_FIELDS, row[2 : 2 + len(_LIST_FIELDS)], strict=True))
        if not _current(kept, _own_mark(user, row[2 + len(_LIST_FIELDS) :]), model, catalogue):
            return None
        found.append(_unpack_kept(name, kept))
    return found


def candidates_select(
    candidates: Candidates,
    catalogue: Catalogue,
    *,
    limit: int,
    categories: Iterable[str] | None,
    max_distance_km: float | None,
    max_price_level: int | None,
    exclude_interacted: bool,
) -> list | None:
    """The first `limit` venues of the list that pass the filters, as the answer's rows; None when fewer
    pass and the list does not hold every venue (one outside it might)."""
    from recommendations.services import VenueRecommendation

    positions = candidates.positions
    passing = np.ones(len(positions), dtype=bool)
    if categories is not None:
        codes = [code for code in map(catalogue.code_of, categories) if code is not None]
        passing &= np.isin(catalogue.category_code[positions], codes)
    if max_price_level is not None:
        price = catalogue.price_level[positions]
        passing &= (price >= 1) & (price <= max_price_level)
    if exclude_interacted:
        passing &= ~candidates.interacted
    if max_distance_km is not None:
        passing &= candidates.distance <= max_distance_km
    picked = np.flatnonzero(passing)[:limit]
    if len(picked) < limit and not candidates.complete:
        return None
    features, contributions = candidates.features, candidates.contributions
    return [
        VenueRecommendation(
            venue_id=catalogue.venue_id_at(position),
            venue_name=catalogue.names[position],
            category=catalogue.categories[catalogue.category_code[position]],
            score=float(candidates.score[index]),
            distance_km=None if math.isnan(candidates.distance[index]) else float(candidates.distance[index]),
            features={name: float(values[index]) for name, values in features.items()},
            contributions={name: float(values[index]) for name, values in contributions.items()},
            baseline=candidates.baseline,
            ranker=candidates.ranker,
            model_version=candidates.model_version,
        )
        for index, position in zip(picked.tolist(), positions[picked].tolist(), strict=True)
    ]


# --- Refreshing ---------------------------------------------------------------------------------------


def _requested(key: str) -> tuple[str, int | None]:
    name, _, version = key.partition("@")
    return name, int(version) if version else None


def catalogue_up_to_date() -> Catalogue:
    """The catalogue with the venues and the active model as they are now: off the request path (a
    worker, a command) there is no one to answer meanwhile, so what a background load would bring
    is waited for."""
    catalogue_cache.current()
    catalogue_cache.refresh_ahead()
    return catalogue_cache.current()


def candidates_refresh(user_ids: Iterable[uuid.UUID], *, catalogue: Catalogue | None = None) -> int:
    """Rank again the lists these users have, over `catalogue` (default: the one requests are served
    from); a list whose ranker can no longer serve (`learned` with no model active) is deleted. How
    many were kept."""
    if not enabled():
        return 0
    kept = list(CandidateList.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "ranker"))
    if not kept:
        return 0
    users = User.objects.in_bulk({user_id for user_id, _ in kept})
    catalogue = catalogue or catalogue_cache.current()
    refreshed = 0
    for user_id, key in kept:
        user = users.get(user_id)
        requested, version = _requested(key)
        if user is None:
            continue
        try:
            mark = own_mark(user)
            candidates = candidates_rank(user, catalogue, requested, version)
        except Conflict:
            CandidateList.objects.filter(user_id=user_id, ranker=key).delete()
            continue
        _store(user_id, key, candidates, mark)
        refreshed += 1
    return refreshed


def candidates_due(limit: int, catalogue: Catalogue) -> list[uuid.UUID]:
    """Up to `limit` users whose lists are past half the bound, or were ranked over other venues than
    the catalogue's or by another model than its active one: the oldest first."""
    half = timezone.now() - timedelta(seconds=settings.LUNA_CANDIDATES_MAX_AGE / 2)
    due = Q(built_at__lt=half) | ~Q(venue_mark=venue_mark(catalogue))
    if catalogue.model_version is None:
        due |= Q(ranker=LearnedRanker.name)
    else:
        due |= Q(ranker=LearnedRanker.name) & (
            Q(model_version__isnull=True) | ~Q(model_version=catalogue.model_version)
        )
    rows = CandidateList.objects.filter(due).order_by("built_at").values_list("user_id", flat=True)[: limit * 2]
    return list(dict.fromkeys(rows))[:limit]


def candidates_refresh_due(limit: int) -> int:
    """Rank again the lists of up to `limit` users that are due (`candidates_due`); how many users."""
    catalogue = catalogue_up_to_date()
    user_ids = candidates_due(limit, catalogue)
    candidates_refresh(user_ids, catalogue=catalogue)
    return len(user_ids)


def candidates_refresh_after_commit(user_ids: Iterable[uuid.UUID]) -> None:
    """Once the current transaction commits, rank these users' lists again: on a Celery worker when a
    broker is set, else right here (as the booking agent runs). Until then the read path sees that
    their own inputs changed and ranks live."""
    if not enabled():
        return
    ids = [str(user_id) for user_id in dict.fromkeys(user_ids)]

    def run() -> None:
        if settings.CELERY_BROKER_URL:
            from recommendations.tasks import refresh_user_candidates

            try:
                refresh_user_candidates.delay(ids)
            except Exception as exc:  # kombu raises several kinds for a broker that is down
                logger.warning("Candidate lists of %s not queued (%s); their next read ranks them", ids, exc)
            return
        try:
            candidates_refresh(uuid.UUID(user_id) for user_id in ids)
        except Exception:
            logger.exception("Candidate lists of %s not refreshed; their next read ranks them", ids)

    transaction.on_commit(run)


def candidates_queue_refresh() -> None:
    """Another model serves: with a broker, queue `refresh_candidates` now rather than at beat's next run.
    Without one, lists ranked by the previous model are served until LUNA_CANDIDATES_MAX_AGE and then
    ranked again by the next read (or by `manage.py refresh_candidates` from cron)."""
    if not enabled() or not settings.CELERY_BROKER_URL:
        return
    from recommendations.tasks import refresh_candidates

    try:
        refresh_candidates.delay()
    except Exception as exc:  # kombu raises several kinds for a broker that is down
        logger.warning("Refreshing the candidate lists for another model not queued (%s); beat will", exc)
