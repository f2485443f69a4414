"""Reads that feed the recommendations, fresh from the database on every request.

Each is one query whose cost follows the number of rows of one user or of
one user's friends, never the size of the catalogue.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, Sum, Value

from social.models import SocialEdge
from venues.models import Interaction, Venue

_POSITIVE = Q(interaction_type__in=Interaction.POSITIVE_TYPES)


@dataclass(frozen=True)
class VenueTotals:
    """One user's interactions with one venue."""

    venue_id: uuid.UUID
    positive_count: int
    dwell_seconds: int


@dataclass(frozen=True)
class Friend:
    """The other end of an edge from the user to an active user."""

    user_id: uuid.UUID
    handle: str
    name: str
    relationship_type: str
    strength: float


@dataclass(frozen=True)
class FriendTotals:
    """One friend's interactions with a venue (`direct_*`) and with its category (`category_*`)."""

    user_id: uuid.UUID
    direct_positive_count: int
    direct_dwell_seconds: int
    category_positive_count: int
    category_dwell_seconds: int


def user_venue_totals(*, user_id: uuid.UUID) -> list[VenueTotals]:
    rows = (
        Interaction.objects.filter(user_id=user_id)
        .order_by()
        .values("venue_id")
        .annotate(positive_count=Count("id", filter=_POSITIVE), dwell_seconds=Sum("dwell_time_seconds", default=0))
        .values_list("venue_id", "positive_count", "dwell_seconds")
    )
    return [VenueTotals(venue_id, positive_count, dwell_seconds) for venue_id, positive_count, dwell_seconds in rows]


def user_friends(*, user_id: uuid.UUID) -> list[Friend]:
    rows = (
        SocialEdge.objects.filter(user_id=user_id, other_user__is_active=True)
        .order_by()
        .values_list("other_user_id", "other_user__handle", "other_user__name", "relationship_type", "strength")
    )
    return [Friend(*row) for row in rows]


def friend_venue_totals(*, friend_ids: Sequence[uuid.UUID], venue: Venue) -> list[FriendTotals]:
    """Totals of these users with `venue` and with its category (only those who interacted with either).

    Driven by the ids, so the database walks each friend's rows in the (user, venue) index.
    """
    direct = Q(venue_id=venue.id)
    totals = {
        "direct_positive_count": Count("id", filter=direct & _POSITIVE),
        "direct_dwell_seconds": Sum("dwell_time_seconds", filter=direct, default=0),
    }
    scope = direct
    if venue.category:
        same_category = Q(venue__category=venue.category)
        scope = direct | same_category
        totals["category_positive_count"] = Count("id", filter=same_category & _POSITIVE)
        totals["category_dwell_seconds"] = Sum("dwell_time_seconds", filter=same_category, default=0)
    else:
        # No category: the category feature is 0, so only the venue itself is read.
        totals["category_positive_count"] = Value(0)
        totals["category_dwell_seconds"] = Value(0)
    rows = (
        Interaction.objects.filter(scope, user_id__in=friend_ids)
        .order_by()
        .values("user_id")
        .annotate(**totals)
        .values_list("user_id", *totals)
    )
    return [FriendTotals(*row) for row in rows]


def venue_get(*, venue_id: uuid.UUID) -> Venue | None:
    try:
        return Venue.objects.get(pk=venue_id)
    except Venue.DoesNotExist:
        return None
