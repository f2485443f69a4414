"""The Luna world as a whole: what is in it, emptying it, the demo world and synthetic worlds.

`manage.py seed` is a thin layer over these functions.

- The demo world is `fixtures/demo_world.json`, loaded with loaddata (raw
  saves, so no business signal fires). Its plans are stored as starting N days
  after their created_at; loading moves them to N days after now.
- A synthetic world around New York is generated from a numpy random
  generator, so the same --random-seed gives the same rows, and written with
  venues.bulk.RowWriter (COPY on PostgreSQL).
- Both only load into an empty world (no Luna rows except staff accounts);
  `world_reset` empties it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from luna.errors import Conflict
from plans.models import Booking, Plan, PlanParticipant
from social.models import SocialEdge
from users.models import User
from venues.bulk import RowWriter
from venues.models import Interaction, Venue

DEMO_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo_world.json"

Progress = Callable[[str, int, int], None]

# --- The world as a whole -------------------------------------------------------


def _world_querysets() -> dict[str, object]:
    # In deletion order: rows that point at others go first.
    return {
        "bookings": Booking.objects.all(),
        "plan participants": PlanParticipant.objects.all(),
        "plans": Plan.objects.all(),
        "social edges": SocialEdge.objects.all(),
        "interactions": Interaction.objects.all(),
        "venues": Venue.objects.all(),
        "users (not staff)": User.objects.filter(is_staff=False),
    }


def world_counts() -> dict[str, int]:
    """Rows per Luna table; staff accounts are not part of the world and are not counted."""
    querysets = _world_querysets()
    return {label: querysets[label].count() for label in reversed(querysets)}


def world_is_empty() -> bool:
    return not any(queryset.exists() for queryset in _world_querysets().values())


@transaction.atomic
def world_reset() -> dict[str, int]:
    """Delete every Luna row except staff accounts; returns what was deleted per table."""
    deleted = world_counts()
    for queryset in _world_querysets().values():
        queryset.delete()
    return deleted


def _require_empty_world() -> None:
    if not world_is_empty():
        present = ", ".join(f"{count:,} {label}" for label, count in world_counts().items() if count)
        raise Conflict(f"The database already holds Luna data ({present}). Run seed with --reset to replace it.")


# --- The demo world -----------------------------------------------------------------


@dataclass(frozen=True)
class DemoWorldResult:
    loaded: bool
    demo_users_found: int
    counts: dict[str, int]


def _demo_objects() -> list[dict]:
    return json.loads(DEMO_FIXTURE.read_text(encoding="utf-8"))


def demo_world_load(*, now: datetime | None = None) -> DemoWorldResult:
    """Load the demo world unless any of its users is already there (then change nothing)."""
    objects = _demo_objects()
    users = [item for item in objects if item["model"] == "users.user"]
    found = User.objects.filter(id__in=[item["pk"] for item in users]).count()
    if found:
        # Already loaded (and perhaps edited since): leave every row as it is.
        return DemoWorldResult(loaded=False, demo_users_found=found, counts=world_counts())
    _require_empty_world()
    handles = {item["fields"]["handle"].lower() for item in users}
    taken = sorted(
        User.objects.annotate(handle_lower=Lower("handle"))
        .filter(handle_lower__in=handles)
        .values_list("handle", flat=True)
    )
    if taken:
        raise Conflict(f"Staff accounts use demo handles ({', '.join(taken)}); rename them to load the demo world.")

    plan_ids = [item["pk"] for item in objects if item["model"] == "plans.plan"]
    with transaction.atomic():
        call_command("loaddata", str(DEMO_FIXTURE), verbosity=0)
        _move_plans_ahead(plan_ids, now or timezone.now())
    return DemoWorldResult(loaded=True, demo_users_found=len(users), counts=world_counts())


def _move_plans_ahead(plan_ids: list[str], now: datetime) -> None:
    # The fixture stores each start as created_at + N days; the plan should start N days from now.
    for plan_id, start_time, created_at in Plan.objects.filter(id__in=plan_ids).values_list(
        "id", "start_time", "created_at"
    ):
        # update() does not send post_save: moving a demo plan is not a business event.
        Plan.objects.filter(id=plan_id).update(start_time=now + (start_time - created_at))


# --- Synthetic worlds ----------------------------------------------------------------

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


def _validate_spec(spec: SyntheticWorldSpec) -> None:
    if spec.users < 1 or spec.venues < 1 or spec.interactions < 0 or spec.degree < 0:
        raise Conflict("--users and --venues must be at least 1; --interactions and --degree at least 0.")
    if spec.degree > spec.users - 1:
        raise Conflict(f"--degree {spec.degree} is impossible with {spec.users} users (at most {spec.users - 1}).")


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
    _validate_spec(spec)
    _require_empty_world()
    report = progress or (lambda label, done, total: None)
    rng = np.random.default_rng(spec.random_seed)
    with transaction.atomic():
        user_ids = _generate_users(rng, spec.users, report)
        venue_ids = _generate_venues(rng, spec.venues, report)
        _generate_interactions(rng, spec.interactions, user_ids, venue_ids, report)
        _generate_edges(rng, spec.degree, user_ids, report)
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
