"""Random worlds built with bulk inserts, the same for the same seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue

CATEGORIES = ["bar", "cafe", "music", "restaurant", "comedy", ""]


@dataclass
class Scenario:
    """What build_world stored, in insertion order: the tests' handles on it (a World is the engine's)."""

    users: list[User]
    venues: list[Venue]


def build_world(
    seed: int,
    *,
    users: int,
    venues: int,
    interactions: int,
    degree: int = 3,
    positive: bool = True,
) -> Scenario:
    """Users and venues around New York plus one venue in London.

    Always present: a user without a home (the first), a user with no
    interactions (the last), an inactive user, venues nobody touched (the
    last two), a venue without a category (the first). `positive=False` makes
    every interaction a view, so popularity is zero everywhere.
    """
    rng = random.Random(seed)
    people = [
        User(
            handle=f"w{seed}-{index}",
            name=f"World {seed} person {index}",
            home_lat=None if index == 0 else rng.uniform(40.5, 41.0),
            home_lng=None if index == 0 else rng.uniform(-74.2, -73.7),
            is_active=index != users - 2,
            password="!",
        )
        for index in range(users)
    ]
    User.objects.bulk_create(people)
    places = [
        Venue(
            name=f"Venue {seed}-{index}",
            category="" if index == 0 else rng.choice(CATEGORIES),
            lat=51.5072 if index == 1 else rng.uniform(40.5, 41.0),
            lng=-0.1276 if index == 1 else rng.uniform(-74.2, -73.7),
            price_level=rng.choice([None, 1, 2, 3, 4]),
        )
        for index in range(venues)
    ]
    Venue.objects.bulk_create(places)
    actors = people[:-1] if len(people) > 1 else people
    touched = places[:-2] if len(places) > 2 else places
    types = ["view", "interest", "like"] if positive else ["view"]
    Interaction.objects.bulk_create(
        Interaction(
            user=rng.choice(actors),
            venue=rng.choice(touched),
            interaction_type=rng.choice(types),
            dwell_time_seconds=rng.choice([0, rng.randint(1, 600)]),
        )
        for _ in range(interactions)
    )
    edges = {}
    for person in people:
        others = [other for other in people if other.pk != person.pk]
        for other in rng.sample(others, min(degree, len(others))):
            edges[(person.pk, other.pk)] = SocialEdge(
                user=person,
                other_user=other,
                relationship_type=rng.choice(["friend", "mutual", "suggested"]),
                strength=rng.choice([0.5, round(rng.random(), 2), rng.random()]),
            )
    SocialEdge.objects.bulk_create(edges.values())
    return Scenario(users=people, venues=places)
