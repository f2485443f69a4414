"""Venue and people recommendations: load the features, score every candidate at once, keep the best."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404

from experiments.assignment import RunningExperiment, running_experiment
from luna.errors import Conflict
from luna.metrics import RECOMMENDATION_EMPTY, RECOMMENDATION_RESULTS, RECOMMENDATION_SECONDS
from ranking import RANKERS, formula
from ranking.learned import LearnedRanker
from ranking.rankers import FormulaRanker, Ranker, Scored, readable_explanation, top_k_for
from ranking.topk import top_k
from ranking.world import World, csr, world_from_rows
from recommendations.candidates import candidates_answer
from recommendations.catalogue import Catalogue, ServedModel, catalogue_cache
from recommendations.models import RankerVersion
from recommendations.selectors import (
    Friend,
    VenueTotals,
    friend_venue_totals,
    user_friends,
    user_venue_totals,
)
from users.models import User
from venues.models import Venue

logger = logging.getLogger(__name__)

MAX_LIMIT = 100


def observe_recommendation(kind: str, ranker: str, started: float, count: int) -> None:
    """Record one recommendation's time (since `started`, perf_counter) and how many rows it gave."""
    RECOMMENDATION_SECONDS.labels(kind=kind, ranker=ranker).observe(time.perf_counter() - started)
    RECOMMENDATION_RESULTS.labels(kind=kind, ranker=ranker).inc(count)
    if count == 0:
        RECOMMENDATION_EMPTY.labels(kind=kind, ranker=ranker).inc()


# What `?ranker=` may ask for; without it the active trained model answers, or the formula.
SERVED_RANKERS = ("formula", "learned", "popularity", "distance")
NO_MODEL = "No trained model is active: run `manage.py train_ranker` (or ask for ?ranker=formula)."


@dataclass(frozen=True)
class VenueRecommendation:
    venue_id: uuid.UUID
    venue_name: str
    category: str
    score: float  # on the served 0-1 scale (ranking.rankers.readable)
    distance_km: float | None
    features: dict[str, float]  # the ranker's inputs for this venue, by name
    contributions: dict[str, float]  # how much each moved the score from the baseline (served scale)
    baseline: float  # the user's score where every contribution is 0: score = baseline + their sum
    ranker: str
    model_version: int | None
    experiment: RunningExperiment | None = None  # the experiment and arm that chose the ranker
    arm: str | None = None


@dataclass(frozen=True)
class PersonFeatures:
    strength: float
    direct: float
    category: float


@dataclass(frozen=True)
class PersonRecommendation:
    user_id: uuid.UUID
    handle: str
    name: str
    relationship_type: str
    score: float
    features: PersonFeatures


def recommend_venues(
    user: User,
    *,
    limit: int,
    categories: Iterable[str] | None = None,
    max_distance_km: float | None = None,
    max_price_level: int | None = None,
    exclude_interacted: bool = False,
    ranker: str | None = None,
    model_version: int | None = None,
) -> list[VenueRecommendation]:
    """The `limit` best venues for `user`: score desc, then distance asc, then venue id.

    `ranker` names one of SERVED_RANKERS; by default the running experiment's arm for this user
    chooses (experiments.assignment), else the active trained model ranks, or the formula
    when there is none. `model_version` (with `learned`) serves that stored version instead.
    """
    if max_distance_km is not None and not user.has_home:
        raise ValidationError(
            {"max_distance_km": "This user has no home location, so distances cannot be measured; omit this filter."}
        )
    filters = {
        "limit": limit,
        "categories": categories,
        "max_distance_km": max_distance_km,
        "max_price_level": max_price_level,
        "exclude_interacted": exclude_interacted,
        "ranker": ranker,
        "model_version": model_version,
    }
    if model_version is not None and not RankerVersion.objects.filter(version=model_version).exists():
        raise Http404(f"There is no stored model version {model_version}.")
    experiment = arm = None
    if ranker is None:
        experiment = running_experiment()
        if experiment is not None:
            arm = experiment.arm_for(user.id)
            # A `learned` arm without a model to serve gets the formula, as everyone would.
            filters.update(ranker=None if arm.ranker == LearnedRanker.name else arm.ranker)
            filters["model_version"] = arm.model_version
    started = time.perf_counter()
    catalogue = catalogue_cache.current()
    # The user's kept candidate list answers when it can (recommendations.candidates), else the live ranking.
    results = candidates_answer(user, catalogue, **filters)
    if results is not None and catalogue_cache.holds_deleted(catalogue, [row.venue_id for row in results]):
        results, catalogue = None, catalogue_cache.reload()
    if results is None:
        totals = user_venue_totals(user_id=user.id)
        results = _rank_venues(user, catalogue, totals, **filters)
        if catalogue_cache.holds_deleted(catalogue, [row.venue_id for row in results]):
            results = _rank_venues(user, catalogue_cache.reload(), totals, **filters)
    if arm is not None:
        results = [replace(row, experiment=experiment, arm=arm.name) for row in results]
    observe_recommendation("venues", results[0].ranker if results else (ranker or "default"), started, len(results))
    return results


def served_ranker(
    catalogue: Catalogue, requested: str | None, model_version: int | None = None
) -> tuple[Ranker, str, ServedModel | None]:
    """(the ranker, its name, the trained model behind it) that answers: the one asked for, else the
    active trained model, else the formula. `model_version` pins another stored version for
    `learned` (an experiment's arm); when that version is gone the active one serves."""
    if requested in (None, LearnedRanker.name):
        served = catalogue.model
        if model_version is not None:
            served = catalogue_cache.pinned_model(catalogue, model_version) or served
        if served is not None:
            return served.ranker, LearnedRanker.name, served
        if requested is not None:
            raise Conflict(NO_MODEL, code="no_model")
        requested = FormulaRanker.name
    if requested == FormulaRanker.name:
        return FormulaRanker(settings.LUNA_RECO), requested, None
    return RANKERS[requested](), requested, None


def user_world(
    catalogue: Catalogue,
    users: list[tuple[User, VenueTotals]],
    *,
    friends: list[list[Friend]] | None = None,
    model: ServedModel | None = None,
) -> World:
    """The engine's World for these users: the catalogue's venues and popularity, and their own rows.

    `evaluate` builds the same World from a whole split, so offline and online scores are the
    same numbers. Interactions with venues created since the catalogue was loaded are left out.
    With a trained `model` serving, the users and their `friends` (a list per user) are matched
    to the people the model knows.
    """
    rows, cols, positive, dwell = ([np.zeros(0, dtype=dtype)] for dtype in (np.intp, np.intp, np.float64, np.float64))
    for row, (_, totals) in enumerate(users):
        positions = catalogue.positions_of_keys(totals.venue_keys)
        known = positions >= 0
        rows.append(np.full(int(known.sum()), row, dtype=np.intp))
        cols.append(positions[known])
        positive.append(np.asarray(totals.positive_counts, dtype=np.float64)[known])
        dwell.append(np.asarray(totals.dwell_seconds, dtype=np.float64)[known])
    rows, cols, positive, dwell = (np.concatenate(parts) for parts in (rows, cols, positive, dwell))
    social = reference_index = None
    if model is not None:
        people = model.person_index
        reference_index = np.array([people.get(user.id.int, -1) for user, _ in users], dtype=np.int64)
        ties = [
            (row, people[friend.user_id.int], friend.strength)
            for row, friends_of_user in enumerate(friends or [])
            for friend in friends_of_user
            if friend.user_id.int in people
        ]
        social = csr([t[0] for t in ties], [t[1] for t in ties], [t[2] for t in ties], (len(users), len(people)))
    return world_from_rows(
        venue_lat=catalogue.lat,
        venue_lng=catalogue.lng,
        venue_category=catalogue.venue_category,
        rows=rows,
        cols=cols,
        positive=positive,
        dwell=dwell,
        home_lat=np.array([user.home_lat if user.has_home else np.nan for user, _ in users], dtype=np.float64),
        home_lng=np.array([user.home_lng if user.has_home else np.nan for user, _ in users], dtype=np.float64),
        popularity=catalogue.popularity,
        social=social,
        reference_index=reference_index,
        venue_points=catalogue.venue_points,
        venue_tree=catalogue.venue_tree,
        venue_nearest=catalogue.venue_nearest,
    )


def venue_candidates(
    catalogue: Catalogue,
    *,
    categories: Iterable[str] | None = None,
    max_price_level: int | None = None,
) -> np.ndarray:
    """The catalogue filters every user shares, as a mask over venue positions."""
    candidates = np.ones(catalogue.size, dtype=bool)
    if categories is not None:
        codes = [code for code in map(catalogue.code_of, categories) if code is not None]
        candidates &= np.isin(catalogue.category_code, codes)
    if max_price_level is not None:
        candidates &= (catalogue.price_level >= 1) & (catalogue.price_level <= max_price_level)
    return candidates


def _rank_venues(
    user: User,
    catalogue: Catalogue,
    totals: VenueTotals,
    *,
    limit: int,
    categories: Iterable[str] | None,
    max_distance_km: float | None,
    max_price_level: int | None,
    exclude_interacted: bool,
    ranker: str | None,
    model_version: int | None = None,
) -> list[VenueRecommendation]:
    engine, name, served = served_ranker(catalogue, ranker, model_version)
    version = served.version if served is not None else None
    # friends_went reads the friends' visits: only of those who added the user back.
    friends = [user_friends(user_id=user.id, sharing=True)] if name == LearnedRanker.name else None
    world = user_world(catalogue, [(user, totals)], friends=friends, model=served)
    candidates = venue_candidates(catalogue, categories=categories, max_price_level=max_price_level)
    if exclude_interacted:
        candidates[world.interactions.indices] = False

    def choose(scored: Scored) -> tuple[np.ndarray, np.ndarray]:
        allowed = scored.on_columns(candidates)
        if max_distance_km is not None:
            allowed = allowed & (scored.distance[0] <= max_distance_km)
        best = top_k_for(scored, 0, limit, np.flatnonzero(allowed))
        return best, scored.score[0, best]

    scored, best, _ = best_of_shortlist(engine, world, np.array([0]), limit, choose, ceiling=lambda bound: bound[0])
    features, contributions = scored.explanation(np.array([0]), best)
    # Only what is served is mapped: the order above came from the scores themselves.
    shown, baseline, contributions = readable_explanation(
        scored.score[:, best], scored.baseline(np.array([0])), contributions, engine.readable_scale()
    )
    return [
        VenueRecommendation(
            venue_id=catalogue.venue_id_at(position),
            venue_name=catalogue.names[position],
            category=catalogue.categories[catalogue.category_code[position]],
            score=float(shown[0, index]),
            distance_km=None if math.isnan(scored.distance[0, column]) else float(scored.distance[0, column]),
            features={name: float(values[0, index]) for name, values in features.items()},
            contributions={name: float(values[0, index]) for name, values in contributions.items()},
            baseline=float(baseline[0]),
            ranker=name,
            model_version=version,
        )
        for index, (column, position) in enumerate(
            zip(best.tolist(), scored.venue_positions(best).tolist(), strict=True)
        )
    ]


def best_of_shortlist(
    engine: Ranker,
    world: World,
    rows: np.ndarray,
    limit: int,
    choose: Callable[[Scored], tuple[np.ndarray, np.ndarray]],
    *,
    ceiling: Callable[[np.ndarray], float],
) -> tuple[Scored, np.ndarray, np.ndarray]:
    """(scored, the columns `choose` picks, their scores). `choose(scored)` returns the best columns
    (at most `limit`) and their scores, best first; `ceiling(Scored.outside_bound)` is the most a venue
    outside the shortlist can score in those terms. The ranker scores its shortlist first; unless
    `choose` found `limit` columns and the last beats the ceiling, every venue is scored and `choose`
    picks again: the answer is always the one over every venue."""
    scored = engine.score_shortlist(world, rows)
    if scored.positions is not None:
        columns, scores = choose(scored)
        if len(columns) == limit and scores[-1] > ceiling(scored.outside_bound):
            return scored, columns, scores
        scored = engine.score(world, rows)
    columns, scores = choose(scored)
    return scored, columns, scores


def recommend_people(user: User, *, venue: Venue | None = None, limit: int) -> list[PersonRecommendation]:
    """The `limit` friends (active users `user` has an edge to) who would most enjoy `venue`.

    Score desc, then user id. Without a venue only the edge strength counts.
    """
    config = settings.LUNA_RECO
    started = time.perf_counter()
    friends, strength, direct, category = friend_features(user, venue)
    score = formula.people_score(strength, direct, category, weights=config["PEOPLE_WEIGHTS"])
    best = best_friends(friends, score, limit)
    observe_recommendation("people", "formula", started, len(best))
    return [
        PersonRecommendation(
            **person(friends[index], score[index]),
            features=PersonFeatures(
                strength=float(strength[index]), direct=float(direct[index]), category=float(category[index])
            ),
        )
        for index in best.tolist()
    ]


def person(friend: Friend, score: float) -> dict:
    """Who a ranked friend is, as every people answer shows them: id, handle, name, tie and score."""
    return {
        "user_id": friend.user_id,
        "handle": friend.handle,
        "name": friend.name,
        "relationship_type": friend.relationship_type,
        "score": float(score),
    }


def best_friends(friends: list[Friend], score: np.ndarray, limit: int) -> np.ndarray:
    """Indexes of the `limit` best friends: score desc, then user id."""
    id_rank = np.empty(len(friends), dtype=np.intp)
    id_rank[sorted(range(len(friends)), key=lambda index: friends[index].user_id)] = np.arange(len(friends))
    return top_k(score, limit, id_rank=id_rank)


def friend_features(user: User, venue: Venue | None) -> tuple[list[Friend], np.ndarray, np.ndarray, np.ndarray]:
    """The user's active friends and, per friend, the people formula's features: (friends, strength,
    direct, category); direct and category are 0 without a venue, and for a friend who has no edge
    back to the user (their likes are not shared with someone they did not add)."""
    config = settings.LUNA_RECO
    friends = user_friends(user_id=user.id)
    count = len(friends)
    strength = np.array([friend.strength for friend in friends], dtype=np.float64)
    direct = np.zeros(count, dtype=np.float64)
    category = np.zeros(count, dtype=np.float64)
    if venue is not None and count:
        catalogue = catalogue_cache.current()
        totals = friend_venue_totals(friend_ids=[friend.user_id for friend in friends], shared_with=user.id)
        friend_index = totals.friend_index
        positive, dwell = totals.positive_counts, totals.dwell_seconds
        positions = catalogue.positions_of_keys(totals.venue_keys)
        venue_position = catalogue.position.get(venue.id.int, -1)
        if venue_position >= 0:
            on_venue = positions == venue_position
        else:  # saved after the catalogue's last look
            on_venue = np.array([key == venue.id.int for key in totals.venue_keys], dtype=bool)

        def per_friend(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
            return np.bincount(friend_index[rows], weights=values[rows], minlength=count)

        direct = formula.preference_feature(
            per_friend(on_venue, positive),
            per_friend(on_venue, dwell),
            per_positive=config["PREFERENCE_PER_POSITIVE"],
            dwell_scale_seconds=config["PREFERENCE_DWELL_SECONDS"],
        )
        if venue.category:
            # C: every venue of v's category, v included (its category is read fresh with v).
            in_category = on_venue.copy()
            code = catalogue.code_of(venue.category)
            if code is not None:
                known = positions >= 0
                in_category[known] |= catalogue.category_code[positions[known]] == code
            category = formula.preference_feature(
                per_friend(in_category, positive),
                per_friend(in_category, dwell),
                per_positive=config["CATEGORY_PER_POSITIVE"],
                dwell_scale_seconds=config["CATEGORY_DWELL_SECONDS"],
            )
    return friends, strength, direct, category
