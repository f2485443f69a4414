"""The Luna world as a whole (every Luna row except staff accounts) and the demo world in it.

`manage.py seed` is a thin layer over these functions and world.synthetic.

- The demo world is `fixtures/demo_world.json`, loaded with loaddata (raw
  saves, so no business signal fires). Its timestamps are stored relative to
  DEMO_REFERENCE_TIME, which stands for the moment of loading: loading moves
  every one of them by the same amount, so its interactions fall in the last 60
  days, its plans were made yesterday and start 1 to 7 days from now, and the
  content (people, venues, likes, in order) is the same every time.
- Worlds are only loaded into an empty world; `world_reset` empties it.
  Loading the demo world over other data is a no-op with a message;
  generating a synthetic world over it is an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from luna.errors import Conflict
from plans.models import Booking, Plan, PlanParticipant
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue
from world.models import ImportedFile

DEMO_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo_world.json"
# The moment the fixture's timestamps are relative to (REFERENCE_TIME in fixtures/build_demo.py).
DEMO_REFERENCE_TIME = datetime(2025, 1, 1, 18, 0, tzinfo=UTC)


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
    """Delete every Luna row except staff accounts; returns what was deleted per table.

    On PostgreSQL the rest of the caller's transaction (the load that follows, in seed --reset and
    on the Data page) runs without the statement timeout meant for requests, as a COPY does
    (world.bulk): emptying a world of a million interactions alone takes half a minute."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")  # until this transaction ends
    deleted = world_counts()
    for queryset in _world_querysets().values():
        queryset.delete()
    ImportedFile.objects.all().delete()  # their rows are gone: importing those files again is no repeat
    return deleted


def counts_text(counts: dict[str, int]) -> str:
    """`1,000 users, 20,000 interactions`: the counts that are not 0 ('' when none is)."""
    return ", ".join(f"{count:,} {label}" for label, count in counts.items() if count)


def world_require_empty() -> None:
    if not world_is_empty():
        raise Conflict(
            f"The database already holds Luna data ({counts_text(world_counts())}). "
            "Replace it with seed --reset, or Replace on the admin's Data page."
        )


# --- The demo world -----------------------------------------------------------------


@dataclass(frozen=True)
class DemoWorldResult:
    loaded: bool
    message: str
    counts: dict[str, int]


def _demo_objects() -> list[dict]:
    return json.loads(DEMO_FIXTURE.read_text(encoding="utf-8"))


def demo_world_load(*, now: datetime | None = None) -> DemoWorldResult:
    """Load the demo world into an empty world; otherwise change nothing and say why.

    The demo world counts as present when any of its users is stored: it may
    have been edited since, and those edits are kept.
    """
    objects = _demo_objects()
    users = [item for item in objects if item["model"] == "users.user"]
    found = User.objects.filter(id__in=[item["pk"] for item in users]).count()
    if found:
        message = (
            f"The demo world is already present ({found} of its {len(users)} users found); nothing changed. "
            "Load it afresh with seed --reset, or Replace on the admin's Data page."
        )
        return DemoWorldResult(loaded=False, message=message, counts=world_counts())
    if not world_is_empty():
        # Not an error: `make run` seeds on every start, also over a synthetic or imported world.
        counts = world_counts()
        message = (
            f"The database holds other Luna data ({counts_text(counts)}); the demo world was not loaded. "
            "Replace that data with it with seed --reset, or Replace on the admin's Data page."
        )
        return DemoWorldResult(loaded=False, message=message, counts=counts)
    handles = {item["fields"]["handle"].lower() for item in users}
    taken = sorted(
        User.objects.annotate(handle_lower=Lower("handle"))
        .filter(handle_lower__in=handles)
        .values_list("handle", flat=True)
    )
    if taken:
        raise Conflict(f"Staff accounts use demo handles ({', '.join(taken)}); rename them to load the demo world.")

    user_ids = [item["pk"] for item in users]
    with transaction.atomic():
        call_command("loaddata", str(DEMO_FIXTURE), verbosity=0)
        _move_to_now(user_ids, (now or timezone.now()) - DEMO_REFERENCE_TIME)
    message = "Loaded the demo world; its plans start 1 to 7 days from now."
    return DemoWorldResult(loaded=True, message=message, counts=world_counts())


def _move_to_now(user_ids: list[str], shift) -> None:
    # The world was empty before the fixture (staff aside), so every row but staff is the demo's.
    # update() does not send post_save: moving the demo in time is not a business event.
    stamped = {"created_at": F("created_at") + shift}
    both = {**stamped, "updated_at": F("updated_at") + shift}
    User.objects.filter(id__in=user_ids).update(**both)
    Venue.objects.update(**both)
    Interaction.objects.update(**stamped)
    SocialEdge.objects.update(**both)
    Plan.objects.update(start_time=F("start_time") + shift, **both)
    PlanParticipant.objects.update(**both)
