"""A plain reference implementation of the seed formulas, for comparison in tests.

venue:  score = 0.4 * exp(-0.3 * d_home_km) + 0.4 * min(1, 0.5 * n_pos + dwell / 300)
                + 0.2 * (distinct users with a like or interest) / (that count's maximum)
person: score = 0.6 * strength + 0.25 * min(1, 0.5 * n_pos(venue) + dwell(venue) / 300)
                + 0.15 * min(1, 0.3 * n_pos(category) + dwell(category) / 600)

Straightforward loops over ORM objects, constants written out here; it shares nothing
with ranking.formula / services / catalogue, so a bug there cannot hide here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue

POSITIVE = ("like", "interest")


@dataclass
class ReferenceVenue:
    venue_id: str
    score: float
    distance_km: float | None
    spatial: float
    preference: float
    popularity: float


@dataclass
class ReferencePerson:
    user_id: str
    score: float
    strength: float
    direct: float
    category: float


def haversine(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance, written out again on purpose (not ranking.geometry's): the reference must not
    share code with what it checks, or a bug in that code would pass unnoticed."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = math.radians(lat2 - lat1)
    dlambda = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 6371.0 * 2 * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def venues_for(
    user: User,
    *,
    categories: list[str] | None = None,
    max_distance_km: float | None = None,
    max_price_level: int | None = None,
    exclude_interacted: bool = False,
) -> list[ReferenceVenue]:
    venues = list(Venue.objects.all())
    interactions = list(Interaction.objects.all())
    pop = {}
    for venue in venues:
        # pop(v): how many distinct users liked or showed interest in v.
        pop[venue.id] = len(
            {i.user_id for i in interactions if i.venue_id == venue.id and i.interaction_type in POSITIVE}
        )
    max_pop = max(pop.values(), default=0)

    ranking = []
    for venue in venues:
        mine = [i for i in interactions if i.user_id == user.id and i.venue_id == venue.id]
        if exclude_interacted and mine:
            continue
        if categories is not None and venue.category not in categories:
            continue
        if max_price_level is not None and (venue.price_level is None or venue.price_level > max_price_level):
            continue
        if user.home_lat is None:
            distance = None
            spatial = 0.0
        else:
            distance = haversine(user.home_lat, user.home_lng, venue.lat, venue.lng)
            spatial = math.exp(-0.3 * distance)
            if max_distance_km is not None and distance > max_distance_km:
                continue
        n_pos = len([i for i in mine if i.interaction_type in POSITIVE])
        dwell = sum(i.dwell_time_seconds for i in mine)
        preference = min(1.0, 0.5 * n_pos + dwell / 300)
        popularity = pop[venue.id] / max_pop if max_pop > 0 else 0.0
        score = 0.4 * spatial + 0.4 * preference + 0.2 * popularity
        ranking.append(ReferenceVenue(str(venue.id), score, distance, spatial, preference, popularity))
    ranking.sort(key=lambda r: (-r.score, r.distance_km if r.distance_km is not None else 0.0, r.venue_id))
    return ranking


def people_for(user: User, *, venue: Venue | None = None) -> list[ReferencePerson]:
    ranking = []
    for edge in SocialEdge.objects.filter(user=user):
        friend = User.objects.get(pk=edge.other_user_id)
        if not friend.is_active:
            continue
        # A friend's likes count only for the people they added (README, Privacy).
        if venue is None or not SocialEdge.objects.filter(user=friend, other_user=user).exists():
            score = 0.6 * edge.strength
            ranking.append(ReferencePerson(str(friend.id), score, edge.strength, 0.0, 0.0))
            continue
        theirs = list(Interaction.objects.filter(user=friend).select_related("venue"))
        on_venue = [i for i in theirs if i.venue_id == venue.id]
        n_pos = len([i for i in on_venue if i.interaction_type in POSITIVE])
        dwell = sum(i.dwell_time_seconds for i in on_venue)
        direct = min(1.0, 0.5 * n_pos + dwell / 300)
        if venue.category == "":
            category = 0.0
        else:
            in_category = [i for i in theirs if i.venue.category == venue.category]
            n_pos_c = len([i for i in in_category if i.interaction_type in POSITIVE])
            dwell_c = sum(i.dwell_time_seconds for i in in_category)
            category = min(1.0, 0.3 * n_pos_c + dwell_c / 600)
        score = 0.6 * edge.strength + 0.25 * direct + 0.15 * category
        ranking.append(ReferencePerson(str(friend.id), score, edge.strength, direct, category))
    ranking.sort(key=lambda r: (-r.score, r.user_id))
    return ranking
