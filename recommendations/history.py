"""The database's own data as a World: what `train_ranker` learns from, and `evaluate --from-database` measures.

With `holdout_days`, the last days of positive interactions are held out and everything
before the cut is the history rankers see (held-out venues a user had already been to
before the cut are left out: they cannot be recommended to them anyway). Users are the
active accounts; venues follow id order, as in the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from ranking.world import NO_CATEGORY, POSITIVE_WEIGHTS, World, csr, id_positions, world_from_rows
from recommendations.selectors import plain_rows, uuid_key
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue


@dataclass(frozen=True)
class History:
    """The database's history as a ranking World, what is held out of it, and whose rows are whose."""

    world: World  # the history (everything, without a holdout)
    held_out: sp.csr_matrix  # users x venues: positive interactions after the cut (empty without one)
    user_keys: np.ndarray  # (U, 2) uint64: each user's UUID as two halves, to find them again
    venue_keys: np.ndarray  # (V, 2) uint64


def uuid_halves(keys: list[int]) -> np.ndarray:
    """128-bit ids as (n, 2) uint64: numpy has no 128-bit integers."""
    return np.array([(key >> 64, key & 0xFFFFFFFFFFFFFFFF) for key in keys], dtype=np.uint64).reshape(-1, 2)


def database_history(*, holdout_days: float | None = None, now: datetime | None = None) -> History:
    """The database as a World; with `holdout_days`, split at that many days before `now`."""
    cut = None if holdout_days is None else (now or timezone.now()) - timedelta(days=holdout_days)
    venues = plain_rows(Venue.objects.values_list(Cast("id", CharField()), "lat", "lng", "category"))
    order, venue_position = id_positions([uuid_key(row[0]) for row in venues])  # as in the catalogue
    venues = [venues[index] for index in order]
    codes: dict[str, int] = {}
    category = np.array([codes.setdefault(row[3], len(codes)) if row[3] else NO_CATEGORY for row in venues])

    users = plain_rows(User.objects.filter(is_active=True).values_list(Cast("id", CharField()), "home_lat", "home_lng"))
    order, user_position = id_positions([uuid_key(row[0]) for row in users])  # the same world whatever the database
    users = [users[index] for index in order]
    shape = (len(users), len(venues))

    history: dict[str, list] = {"rows": [], "cols": [], "positive": [], "dwell": []}
    held_rows, held_cols = [], []
    interactions = Interaction.objects.order_by()
    columns = (Cast("user_id", CharField()), Cast("venue_id", CharField()), "interaction_type", "dwell_time_seconds")
    # The cut is applied by the database: reading a timestamp per row would cost more than the rest.
    before = interactions if cut is None else interactions.filter(created_at__lt=cut)
    for user_id, venue_id, kind, dwell in before.values_list(*columns).iterator(chunk_size=50_000):
        user, venue = user_position.get(uuid_key(user_id)), venue_position.get(uuid_key(venue_id))
        if user is None or venue is None:
            continue  # a closed account's interactions tell nothing about anyone being recommended
        history["rows"].append(user)
        history["cols"].append(venue)
        history["positive"].append(POSITIVE_WEIGHTS.get(kind, 0.0))
        history["dwell"].append(float(dwell))
    if cut is not None:
        after = interactions.filter(created_at__gte=cut, interaction_type__in=Interaction.POSITIVE_TYPES)
        for user_id, venue_id in after.values_list(*columns[:2]).iterator(chunk_size=50_000):
            user, venue = user_position.get(uuid_key(user_id)), venue_position.get(uuid_key(venue_id))
            if user is not None and venue is not None:
                held_rows.append(user)
                held_cols.append(venue)

    rows, cols = history["rows"], history["cols"]
    touched = csr(rows, cols, np.ones(len(rows)), shape)
    held_out = csr(held_rows, held_cols, np.ones(len(held_rows)), shape)
    held_out.data[:] = 1.0
    held_out = held_out - held_out.multiply(touched > 0)  # venues visited before the cut are no test
    held_out.eliminate_zeros()

    edges = plain_rows(
        SocialEdge.objects.values_list(Cast("user_id", CharField()), Cast("other_user_id", CharField()), "strength")
    )
    # As served: a friend's visits count only where the friend has an edge back (selectors.users_friends).
    both_ways = {(uuid_key(a), uuid_key(b)) for a, b, _ in edges}
    pairs = [
        (user_position[uuid_key(a)], user_position[uuid_key(b)], strength)
        for a, b, strength in edges
        if uuid_key(a) in user_position and uuid_key(b) in user_position and (uuid_key(b), uuid_key(a)) in both_ways
    ]
    social = csr([p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs], (len(users),) * 2)

    world = world_from_rows(
        venue_lat=np.array([row[1] for row in venues], dtype=np.float64),
        venue_lng=np.array([row[2] for row in venues], dtype=np.float64),
        venue_category=category,
        rows=rows,
        cols=cols,
        positive=history["positive"],
        dwell=history["dwell"],
        home_lat=np.array([np.nan if row[1] is None else row[1] for row in users], dtype=np.float64),
        home_lng=np.array([np.nan if row[2] is None else row[2] for row in users], dtype=np.float64),
        social=social,
        info={"source": "database", "cut": cut and cut.isoformat(), "users": len(users), "venues": len(venues)},
    )
    return History(
        world=world,
        held_out=held_out.tocsr(),
        user_keys=uuid_halves([uuid_key(row[0]) for row in users]),
        venue_keys=uuid_halves([uuid_key(row[0]) for row in venues]),
    )
