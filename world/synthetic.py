"""Synthetic worlds around New York, at scale, for demos and benchmarks.

Everything is drawn from one numpy generator seeded with --random-seed, so the
same seed gives the same rows (ids included). Rows are written with
world.bulk.RowWriter: COPY on PostgreSQL, bulk_create elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction

from luna.errors import Conflict
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue
from world.bulk import RowWriter, refresh_statistics
from world.demo import world_counts, world_require_empty

Progress = Callable[[str, int, int], None]


MANHATTAN = (40.7831, -73.9712)
RADIUS_KM = 15.0
KM_PER_DEGREE_LAT = 111.32

CATEGORIES = [
    ("restaurant", 0.22),
    ("bar", 0.17),
    ("cafe", 0.14),
    ("music", 0.08),
    ("art", 0.06),
    ("wellness", 0.06),
    ("sports", 0.05),
    ("cinema", 0.04),
    ("comedy", 0.03),
    ("karaoke", 0.03),
    ("experience", 0.03),
    ("cowork", 0.04),
    ("", 0.05),  # venues whose category is unknown
]
CATEGORY_WORDS = {
    "restaurant": "Kitchen",
    "bar": "Bar",
    "cafe": "Café",
    "music": "Music Hall",
    "art": "Gallery",
    "wellness": "Studio",
    "sports": "Club",
    "cinema": "Cinema",
    "comedy": "Comedy Cellar",
    "karaoke": "Karaoke",
    "experience": "Experience",
    "cowork": "Hub",
    "": "Place",
}
ADJECTIVES = [
    "Golden", "Hidden", "Midnight", "Sunset", "Electric", "Velvet", "Little", "Grand", "Rooftop",
    "Corner", "Harbor", "Neon", "Old Town", "Riverside", "Brooklyn", "Uptown", "Copper", "Blue Door",
]  # fmt: skip
NOUNS = [
    "Lantern", "Fox", "Anchor", "Garden", "Lab", "Loft", "Room", "Den", "Yard", "Station", "Owl",
    "Bridge", "Market", "Pier", "House", "Atelier",
]  # fmt: skip
FIRST_NAMES = [
    "alex", "maria", "james", "sofia", "wei", "fatima", "david", "aisha", "liam", "emma", "noah", "olivia",
    "mateo", "chloe", "ethan", "ana", "yuki", "omar", "grace", "ivan", "priya", "lucas", "zoe", "kwame",
]  # fmt: skip
LAST_NAMES = [
    "smith", "garcia", "chen", "khan", "johnson", "rossi", "kim", "nguyen", "brown", "patel", "silva",
    "cohen", "okafor", "murphy", "novak", "lopez", "ali", "tanaka", "walker", "costa",
]  # fmt: skip
# The demo world draws interaction types from this list, so view : like : interest = 3 : 2 : 1.
INTERACTION_TYPES = ["view", "view", "like", "interest", "view", "like"]
RELATIONSHIP_TYPES = [("friend", 0.4), ("mutual", 0.35), ("suggested", 0.25)]
PRICE_LEVELS = [(1, 0.28), (2, 0.4), (3, 0.22), (4, 0.1)]
RATINGS = [Decimal(tenths).scaleb(-1) for tenths in range(51)]  # 0.0 .. 5.0
CHUNK = 100_000


@dataclass(frozen=True)
class SyntheticWorldSpec:
    users: int
    venues: int
    interactions: int
    degree: int
    random_seed: int

    def __post_init__(self) -> None:
        if self.users < 1 or self.venues < 1 or self.interactions < 0 or self.degree < 0:
            raise ValidationError("--users and --venues must be at least 1; --interactions and --degree at least 0.")
        if self.random_seed < 0:
            raise ValidationError("--random-seed must be at least 0.")
        if self.degree > self.users - 1:
            raise ValidationError(
                f"--degree {self.degree} is impossible with {self.users} users (at most {self.users - 1})."
            )


# The seed command's defaults, and the admin's Data page's.
SYNTHETIC_DEFAULTS = {"users": 1_000, "venues": 1_000, "interactions": 20_000, "degree": 20, "random_seed": 42}


def synthetic_spec(**given: int | None) -> SyntheticWorldSpec:
    """A world's spec from the options given (None: not given): the defaults for the rest, and a
    default degree of at most users - 1, so a small world needs no --degree."""
    values = {name: value for name, value in given.items() if name in SYNTHETIC_DEFAULTS and value is not None}
    if "degree" not in values:
        users = values.get("users", SYNTHETIC_DEFAULTS["users"])
        values["degree"] = min(SYNTHETIC_DEFAULTS["degree"], max(users - 1, 0))
    return SyntheticWorldSpec(**{**SYNTHETIC_DEFAULTS, **values})


def progress_text(label: str, done: int, total: int) -> str:
    """One step of a generation as `seed` prints it and the admin's Data page shows it."""
    percent = 100 if total == 0 else 100 * done // total
    return f"{label:<14} {done:>12,} / {total:,} ({percent}%)"


def _uuids(rng: np.random.Generator, count: int) -> list[uuid.UUID]:
    raw = rng.bytes(16 * count)
    return [uuid.UUID(bytes=raw[start : start + 16], version=4) for start in range(0, 16 * count, 16)]


def _points_around_manhattan(rng: np.random.Generator, count: int) -> tuple[list[float], list[float]]:
    # Uniform over a disc of RADIUS_KM: the radius grows with the square root.
    distance = RADIUS_KM * np.sqrt(rng.random(count))
    bearing = rng.random(count) * 2 * np.pi
    lat = MANHATTAN[0] + distance * np.cos(bearing) / KM_PER_DEGREE_LAT
    lng = MANHATTAN[1] + distance * np.sin(bearing) / (KM_PER_DEGREE_LAT * np.cos(np.radians(MANHATTAN[0])))
    return np.round(lat, 6).tolist(), np.round(lng, 6).tolist()


def _pick(rng: np.random.Generator, weighted: list[tuple[object, float]], count: int) -> list:
    values = [value for value, _ in weighted]
    weights = np.array([weight for _, weight in weighted])
    return [values[index] for index in rng.choice(len(values), size=count, p=weights / weights.sum()).tolist()]


def synthetic_world_generate(*, spec: SyntheticWorldSpec, progress: Progress | None = None) -> dict[str, int]:
    """Generate users, venues, interactions and D outgoing edges per user around New York."""
    world_require_empty()
    report = progress or (lambda label, done, total: None)
    rng = np.random.default_rng(spec.random_seed)
    with transaction.atomic():
        user_ids = _generate_users(rng, spec.users, report)
        venue_ids = _generate_venues(rng, spec.venues, report)
        _generate_interactions(rng, spec.interactions, user_ids, venue_ids, report)
        _generate_edges(rng, spec.degree, user_ids, report)
        refresh_statistics(User, Venue, Interaction, SocialEdge)
    return world_counts()


def _generate_users(rng: np.random.Generator, count: int, report: Progress) -> list[uuid.UUID]:
    ids = _uuids(rng, count)
    firsts = rng.integers(0, len(FIRST_NAMES), count).tolist()
    lasts = rng.integers(0, len(LAST_NAMES), count).tolist()
    ages = rng.integers(18, 71, count).tolist()
    no_age = (rng.random(count) < 0.1).tolist()
    no_home = (rng.random(count) < 0.03).tolist()
    lats, lngs = _points_around_manhattan(rng, count)
    handles = [
        f"{FIRST_NAMES[first]}.{LAST_NAMES[last]}.{number}"
        for number, (first, last) in enumerate(zip(firsts, lasts, strict=True), start=1)
    ]
    taken = {handle.lower() for handle in User.objects.values_list("handle", flat=True)}
    clash = next((handle for handle in handles if handle in taken), None)
    if clash:
        raise Conflict(f"A staff account already uses the handle {clash!r}; rename it to generate this world.")
    fields = ["id", "handle", "name", "age", "home_lat", "home_lng", "password"]
    with RowWriter(User, fields) as writer:
        for index in range(count):
            name = f"{FIRST_NAMES[firsts[index]].title()} {LAST_NAMES[lasts[index]].title()}"
            home = (None, None) if no_home[index] else (lats[index], lngs[index])
            age = None if no_age[index] else ages[index]
            # make_password(None) makes an unusable password without hashing anything.
            writer.write((ids[index], handles[index], name, age, *home, make_password(None)))
            if (index + 1) % CHUNK == 0 or index + 1 == count:
                report("users", index + 1, count)
    return ids


def _generate_venues(rng: np.random.Generator, count: int, report: Progress) -> list[uuid.UUID]:
    ids = _uuids(rng, count)
    categories = _pick(rng, CATEGORIES, count)
    adjectives = rng.integers(0, len(ADJECTIVES), count).tolist()
    nouns = rng.integers(0, len(NOUNS), count).tolist()
    lats, lngs = _points_around_manhattan(rng, count)
    prices = _pick(rng, PRICE_LEVELS, count)
    no_price = (rng.random(count) < 0.08).tolist()
    ratings = np.clip(np.rint(rng.normal(41, 5, count)), 10, 50).astype(int).tolist()
    no_rating = (rng.random(count) < 0.06).tolist()
    fields = ["id", "name", "description", "category", "lat", "lng", "price_level", "rating"]
    with RowWriter(Venue, fields) as writer:
        for index in range(count):
            category = categories[index]
            name = f"{ADJECTIVES[adjectives[index]]} {NOUNS[nouns[index]]} {CATEGORY_WORDS[category]}"
            description = f"A {category or 'local'} spot in New York."
            writer.write(
                (
                    ids[index],
                    name,
                    description,
                    category,
                    lats[index],
                    lngs[index],
                    None if no_price[index] else prices[index],
                    None if no_rating[index] else RATINGS[ratings[index]],
                )
            )
            if (index + 1) % CHUNK == 0 or index + 1 == count:
                report("venues", index + 1, count)
    return ids


def _generate_interactions(
    rng: np.random.Generator, count: int, user_ids: list[uuid.UUID], venue_ids: list[uuid.UUID], report: Progress
) -> None:
    # Some venues are far more popular than others (a Zipf-like tail), as in real catalogues.
    popularity = 1.0 / np.power(np.arange(1, len(venue_ids) + 1) + 10.0, 0.8)
    popularity = popularity[rng.permutation(len(venue_ids))]
    popularity /= popularity.sum()
    fields = ["user_id", "venue_id", "interaction_type", "dwell_time_seconds"]
    with RowWriter(Interaction, fields) as writer:
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            users = rng.integers(0, len(user_ids), size).tolist()
            venues = rng.choice(len(venue_ids), size=size, p=popularity).tolist()
            types = rng.integers(0, len(INTERACTION_TYPES), size).tolist()
            extra = rng.integers(0, 241, size).tolist()
            for user, venue, type_index, dwell in zip(users, venues, types, extra, strict=True):
                interaction_type = INTERACTION_TYPES[type_index]
                base = 30 if interaction_type == "view" else 120
                writer.write((user_ids[user], venue_ids[venue], interaction_type, base + dwell))
            report("interactions", start + size, count)
    if count == 0:
        report("interactions", 0, 0)


def _generate_edges(rng: np.random.Generator, degree: int, user_ids: list[uuid.UUID], report: Progress) -> None:
    count = len(user_ids)
    total = count * degree
    relationship_types = _pick(rng, RELATIONSHIP_TYPES, total)
    strengths = np.round(rng.uniform(0.3, 0.95, total), 2).tolist()
    fields = ["user_id", "other_user_id", "relationship_type", "strength"]
    written = 0
    with RowWriter(SocialEdge, fields) as writer:
        for user in range(count):
            others: dict[int, None] = {}
            while len(others) < degree:
                # Draw from the other count - 1 users: indexes at or above `user` shift up by one.
                for other in rng.integers(0, count - 1, degree + 4).tolist():
                    others[other + 1 if other >= user else other] = None
                    if len(others) == degree:
                        break
            for other in others:
                writer.write((user_ids[user], user_ids[other], relationship_types[written], strengths[written]))
                written += 1
            if written % CHUNK < degree and written < total:
                report("social edges", written, total)
    report("social edges", total, total)
