"""Venue and people recommendations: load the features, score every candidate at once, keep the best."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError

from luna.geo import haversine_km
from recommendations import scoring
from recommendations.catalogue import Catalogue, catalogue_cache
from recommendations.selectors import (
    VenueTotals,
    friend_venue_totals,
    user_friends,
    user_venue_totals,
    venue_ids_present,
)
from users.models import User
from venues.models import Venue

MAX_LIMIT = 100


@dataclass(frozen=True)
class VenueFeatures:
    spatial: float
    preference: float
    popularity: float


@dataclass(frozen=True)
class VenueRecommendation:
    venue_id: uuid.UUID
    venue_name: str
    category: str
    score: float
    distance_km: float | None
    features: VenueFeatures


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
) -> list[VenueRecommendation]:
    """The `limit` best venues for `user`: score desc, then distance asc, then venue id."""
    if max_distance_km is not None and not user.has_home:
        raise ValidationError(
            {"max_distance_km": "This user has no home location, so distances cannot be measured; omit this filter."}
        )
    totals = user_venue_totals(user_id=user.id)
    filters = {
        "limit": limit,
        "categories": categories,
        "max_distance_km": max_distance_km,
        "max_price_level": max_price_level,
        "exclude_interacted": exclude_interacted,
    }
    results = _rank_venues(user, catalogue_cache.current(), totals, **filters)
    if len(venue_ids_present(venue_ids=[row.venue_id for row in results])) < len(results):
        # The catalogue still holds a venue deleted since it was loaded.
        results = _rank_venues(user, catalogue_cache.reload(), totals, **filters)
    return results


def _rank_venues(
    user: User,
    catalogue: Catalogue,
    totals: list[VenueTotals],
    *,
    limit: int,
    categories: Iterable[str] | None,
    max_distance_km: float | None,
    max_price_level: int | None,
    exclude_interacted: bool,
) -> list[VenueRecommendation]:
    config = settings.LUNA_RECO

    touched = catalogue.positions_of(row.venue_id for row in totals)
    known = touched >= 0
    touched = touched[known]
    preference = np.zeros(catalogue.size, dtype=np.float64)
    preference[touched] = scoring.preference_feature(
        np.array([row.positive_count for row in totals], dtype=np.float64)[known],
        np.array([row.dwell_seconds for row in totals], dtype=np.float64)[known],
        per_positive=config["PREFERENCE_PER_POSITIVE"],
        dwell_scale_seconds=config["PREFERENCE_DWELL_SECONDS"],
    )

    candidates = np.ones(catalogue.size, dtype=bool)
    if categories is not None:
        codes = [code for code in map(catalogue.code_of, categories) if code is not None]
        candidates &= np.isin(catalogue.category_code, codes)
    if max_price_level is not None:
        candidates &= (catalogue.price_level >= 1) & (catalogue.price_level <= max_price_level)
    if exclude_interacted:
        candidates[touched] = False

    if user.has_home:
        distance = haversine_km(user.home_lat, user.home_lng, catalogue.lat, catalogue.lng)
        if max_distance_km is not None:
            candidates &= distance <= max_distance_km
    else:
        distance = np.full(catalogue.size, np.nan)

    positions = np.flatnonzero(candidates)
    distance = distance[positions]
    preference = preference[positions]
    spatial = scoring.spatial_feature(distance, decay_per_km=config["SPATIAL_DECAY_PER_KM"])
    popularity = scoring.popularity_feature(
        catalogue.positive_counts[positions], max_count=catalogue.max_positive_count
    )
    score = scoring.venue_score(spatial, preference, popularity, weights=config["VENUE_WEIGHTS"])
    best = scoring.top_k(score, limit, id_rank=positions, distance=distance)

    results = []
    for index in best.tolist():
        position = int(positions[index])
        venue_distance = float(distance[index])
        results.append(
            VenueRecommendation(
                venue_id=catalogue.venue_id_at(position),
                venue_name=catalogue.names[position],
                category=catalogue.categories[catalogue.category_code[position]],
                score=float(score[index]),
                distance_km=None if math.isnan(venue_distance) else venue_distance,
                features=VenueFeatures(
                    spatial=float(spatial[index]),
                    preference=float(preference[index]),
                    popularity=float(popularity[index]),
                ),
            )
        )
    return results


def recommend_people(user: User, *, venue: Venue | None = None, limit: int) -> list[PersonRecommendation]:
    """The `limit` friends (active users `user` has an edge to) who would most enjoy `venue`.

    Score desc, then user id. Without a venue only the edge strength counts.
    """
    config = settings.LUNA_RECO
    friends = user_friends(user_id=user.id)
    count = len(friends)
    strength = np.array([friend.strength for friend in friends], dtype=np.float64)
    direct = np.zeros(count, dtype=np.float64)
    category = np.zeros(count, dtype=np.float64)
    if venue is not None and count:
        catalogue = catalogue_cache.current()
        totals = friend_venue_totals(friend_ids=[friend.user_id for friend in friends])
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

        direct = scoring.preference_feature(
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
            category = scoring.preference_feature(
                per_friend(in_category, positive),
                per_friend(in_category, dwell),
                per_positive=config["CATEGORY_PER_POSITIVE"],
                dwell_scale_seconds=config["CATEGORY_DWELL_SECONDS"],
            )
    score = scoring.people_score(strength, direct, category, weights=config["PEOPLE_WEIGHTS"])

    id_rank = np.empty(count, dtype=np.intp)
    id_rank[sorted(range(count), key=lambda index: friends[index].user_id)] = np.arange(count)
    best = scoring.top_k(score, limit, id_rank=id_rank)
    return [
        PersonRecommendation(
            user_id=friends[index].user_id,
            handle=friends[index].handle,
            name=friends[index].name,
            relationship_type=friends[index].relationship_type,
            score=float(score[index]),
            features=PersonFeatures(
                strength=float(strength[index]), direct=float(direct[index]), category=float(category[index])
            ),
        )
        for index in best.tolist()
    ]
