"""A check-in split's train part into the database, mapped as evaluation.checkins reads it.

The mapping (homes, categories, likes per row, friends, ids in the split's order) is described
there, so that `evaluate` on the split and the API on the imported world agree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from evaluation.checkins import FRIEND_STRENGTH, NO_CATEGORY, CheckinError, CheckinSplit, user_uuid, venue_uuid
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue
from world.bulk import RowWriter, refresh_statistics


@dataclass(frozen=True)
class CheckinImport:
    users: int
    venues: int
    interactions: int
    edges: int


def checkins_import(split: CheckinSplit) -> CheckinImport:
    """Write the split's train part into the database, in one transaction, mapped as evaluation.checkins says.

    Refuses (CheckinError) when any of its users or venues is stored already: a split is
    imported once. Only the train part is written; tune and test stay for evaluation.
    """
    world = split.world
    user_ids = [user_uuid(user) for user in range(world.n_users)]
    venue_ids = [venue_uuid(venue) for venue in range(world.n_venues)]
    with transaction.atomic():
        clash = (
            User.objects.filter(pk__in=user_ids[:1] + user_ids[-1:]).exists()
            or Venue.objects.filter(pk__in=venue_ids[:1] + venue_ids[-1:]).exists()
        )
        if clash:
            raise CheckinError(f"{split.prefix}: this split is imported already (its users or venues are stored).")
        no_password = make_password(None)
        handle_prefix = re.sub(r"[^a-z0-9]", "", split.prefix.lower())[:20] or "checkin"
        with RowWriter(User, ["id", "handle", "name", "home_lat", "home_lng", "password"]) as writer:
            for user, user_id in enumerate(user_ids):
                home = (
                    (None, None) if math.isnan(world.home_lat[user]) else (world.home_lat[user], world.home_lng[user])
                )
                writer.write((user_id, f"{handle_prefix}-{user}", f"{split.prefix} user {user}", *home, no_password))
        with RowWriter(Venue, ["id", "name", "category", "lat", "lng"]) as writer:
            for venue, venue_id in enumerate(venue_ids):
                code = int(world.venue_category[venue])
                category = "" if code == NO_CATEGORY else f"c{code}"
                writer.write(
                    (
                        venue_id,
                        f"{split.prefix} venue {venue}",
                        category,
                        world.venue_lat[venue],
                        world.venue_lng[venue],
                    )
                )
        interactions = 0
        with RowWriter(Interaction, ["user_id", "venue_id", "interaction_type"]) as writer:
            for user, venue, likes in zip(
                split.train_users.tolist(), split.train_venues.tolist(), split.likes_per_row.tolist(), strict=True
            ):
                row = (user_ids[user], venue_ids[venue], Interaction.Type.LIKE)
                for _ in range(likes):
                    writer.write(row)
                interactions += likes
        with RowWriter(SocialEdge, ["user_id", "other_user_id", "relationship_type", "strength"]) as writer:
            for user, friend in split.friends.tolist():
                for source, target in ((user, friend), (friend, user)):
                    writer.write(
                        (user_ids[source], user_ids[target], SocialEdge.RelationshipType.FRIEND, FRIEND_STRENGTH)
                    )
    refresh_statistics(User, Venue, Interaction, SocialEdge)
    return CheckinImport(
        users=len(user_ids), venues=len(venue_ids), interactions=interactions, edges=2 * len(split.friends)
    )
