"""Reads that feed the recommendations, fresh from the database on every request.

Each is one query whose cost follows the number of rows of one user or of
one user's friends, never the size of the catalogue.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connections
from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast

from luna.db import CompiledRead
from social.models import SocialEdge
from venues.models import Interaction, Venue

# The kinds ranking.world.POSITIVE_WEIGHTS weighs (each 1): a count of them is the formula's n_pos.
_POSITIVE = Q(interaction_type__in=Interaction.POSITIVE_TYPES)


@dataclass(frozen=True)
class VenueTotals:
    """One user's interactions per venue, as columns, one entry per venue: the venue (its id as
    `uuid.UUID.int`), its positive interactions and the seconds of dwell over all of them. Columns,
    not an object per venue: a group of 10 has about 1,000 venues, and objects cost more than the read."""

    venue_keys: list[int]
    positive_counts: list[int]
    dwell_seconds: list[int]


@dataclass(frozen=True)
class Friend:
    """The other end of an edge from the user to an active user."""

    user_id: uuid.UUID
    handle: str
    name: str
    relationship_type: str
    strength: float


@dataclass(frozen=True)
class FriendVenueTotals:
    """Friends' interactions per (friend, venue), one entry per pair, as columns.

    `friend_index` points into the `friend_ids` asked for; venues are UUIDs as 128-bit ints
    (`uuid.UUID.int`). Ids are read as text: far cheaper than thousands of UUID objects per request.
    """

    friend_index: np.ndarray
    venue_keys: list[int]
    positive_counts: np.ndarray
    dwell_seconds: np.ndarray


def plain_rows(queryset: QuerySet) -> list[tuple]:
    """The rows of a values_list() queryset as the database driver returns them.

    The ORM writes the SQL; running it on a cursor skips the ORM's per-row conversion, which
    dominates for thousands of rows. Only for columns that need none: text (ids cast to text,
    which both databases write as hex digits, PostgreSQL with dashes), integers, floats.
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def uuid_key(text: str) -> int:
    """A UUID read as text (with or without dashes) as its 128-bit int, `uuid.UUID.int`."""
    return int(text.replace("-", ""), 16)


def user_venue_totals(*, user_id: uuid.UUID) -> VenueTotals:
    return users_venue_totals(user_ids=[user_id])[user_id]


_USERS_VENUE_TOTALS = CompiledRead(
    lambda user_ids: (
        Interaction.objects.filter(user_id__in=user_ids)
        .order_by()
        .values("user_id", "venue_id")
        .annotate(
            positive_count=Count("interaction_type", filter=_POSITIVE),
            dwell_seconds=Sum("dwell_time_seconds", default=0),
        )
        .values_list("user_id", "venue_id", "positive_count", "dwell_seconds")
    )
)


def users_venue_totals(*, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, VenueTotals]:
    """Each of these users' totals per venue, in one query (empty columns for a user without any)."""
    rows = _USERS_VENUE_TOTALS.rows(user_ids=list(user_ids)) if user_ids else []
    columns: dict[uuid.UUID, tuple[list, list, list]] = {user_id: ([], [], []) for user_id in user_ids}
    for user_id, venue_id, positive_count, dwell_seconds in rows:
        keys, positive_counts, dwell = columns[user_id]
        keys.append(venue_id.int)
        positive_counts.append(positive_count)
        dwell.append(dwell_seconds)
    return {user_id: VenueTotals(*of_user) for user_id, of_user in columns.items()}


def user_friends(*, user_id: uuid.UUID, sharing: bool = False) -> list[Friend]:
    return users_friends(user_ids=[user_id], sharing=sharing)[user_id]


def _edges_to_active_users(user_ids: Sequence[uuid.UUID], *, sharing: bool) -> QuerySet:
    edges = SocialEdge.objects.filter(user_id__in=user_ids, other_user__is_active=True)
    if sharing:  # only where the friend has an edge back
        edges = edges.filter(
            Exists(SocialEdge.objects.filter(user_id=OuterRef("other_user_id"), other_user_id=OuterRef("user_id")))
        )
    return edges.order_by().values_list(
        "user_id", "other_user_id", "other_user__handle", "other_user__name", "relationship_type", "strength"
    )


_USERS_FRIENDS = CompiledRead(lambda user_ids: _edges_to_active_users(user_ids, sharing=False))
_USERS_SHARING_FRIENDS = CompiledRead(lambda user_ids: _edges_to_active_users(user_ids, sharing=True))


def users_friends(*, user_ids: Sequence[uuid.UUID], sharing: bool = False) -> dict[uuid.UUID, list[Friend]]:
    """Each of these users' edges to active users, in one query. With `sharing`, only the friends
    who have an edge back: a person's visits count for the people they added, not for whoever adds
    them (the `friends_went` signal reads them)."""
    read = _USERS_SHARING_FRIENDS if sharing else _USERS_FRIENDS
    rows = read.rows(user_ids=list(user_ids)) if user_ids else []
    friends: dict[uuid.UUID, list[Friend]] = {user_id: [] for user_id in user_ids}
    for user_id, *friend in rows:
        friends[user_id].append(Friend(*friend))
    return friends


def members_known(*, candidate_ids: Sequence[uuid.UUID], member_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """For each candidate, how many of these members they have an edge with, either way (one query)."""
    rows = (
        SocialEdge.objects.filter(
            Q(user_id__in=candidate_ids, other_user_id__in=member_ids)
            | Q(user_id__in=member_ids, other_user_id__in=candidate_ids)
        )
        .order_by()
        .values_list("user_id", "other_user_id")
    )
    candidates, members = set(candidate_ids), set(member_ids)
    pairs = {(a, b) if a in candidates and b in members else (b, a) for a, b in rows}
    known = dict.fromkeys(candidate_ids, 0)
    for candidate, _ in pairs:
        known[candidate] += 1
    return known


_FRIEND_VENUE_TOTALS = CompiledRead(
    lambda friend_ids, shared_with: (
        Interaction.objects.filter(
            user_id__in=SocialEdge.objects.filter(user_id__in=friend_ids, other_user_id=shared_with).values("user_id")
        )
        .order_by()
        .values("user_id", "venue_id")
        .annotate(
            positive_count=Count("interaction_type", filter=_POSITIVE),
            dwell_seconds=Sum("dwell_time_seconds"),
        )
        .values_list(Cast("user_id", CharField()), Cast("venue_id", CharField()), "positive_count", "dwell_seconds")
    )
)


def friend_venue_totals(*, friend_ids: Sequence[uuid.UUID], shared_with: uuid.UUID) -> FriendVenueTotals:
    """Each friend's totals per venue, read through the (user, venue) index, for the friends who have
    an edge to `shared_with` only: a person's likes and dwell count for the people they added, not
    for whoever adds them (the others have no rows, so their preferences are 0).

    No join with venues: their categories come from the catalogue, which keeps the cost
    independent of how many venues share a category.
    """
    if not friend_ids:
        return FriendVenueTotals(np.empty(0, dtype=np.intp), [], np.empty(0), np.empty(0))
    rows = _FRIEND_VENUE_TOTALS.rows(friend_ids=list(friend_ids), shared_with=shared_with)
    user_ids, venue_ids, positive_counts, dwell_seconds = zip(*rows, strict=True) if rows else ((), (), (), ())
    # PostgreSQL writes a UUID with dashes, SQLite stores its 32 hex digits.
    index_of = {text: index for index, friend_id in enumerate(friend_ids) for text in (str(friend_id), friend_id.hex)}
    return FriendVenueTotals(
        friend_index=np.array([index_of[text] for text in user_ids], dtype=np.intp),
        venue_keys=[uuid_key(text) for text in venue_ids],
        positive_counts=np.array(positive_counts, dtype=np.float64),
        dwell_seconds=np.array(dwell_seconds, dtype=np.float64),
    )


_VENUES_PRESENT = CompiledRead(lambda venue_ids: Venue.objects.filter(pk__in=venue_ids).values_list("pk"))


def venue_ids_present(*, venue_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these venues that still exist (a primary-key lookup of at most a page of ids)."""
    return {venue_id for (venue_id,) in _VENUES_PRESENT.rows(venue_ids=list(venue_ids))} if venue_ids else set()


def venue_get(*, venue_id: uuid.UUID) -> Venue | None:
    try:
        return Venue.objects.get(pk=venue_id)
    except Venue.DoesNotExist:
        return None
