"""The admin's dashboard: the state of the whole world at a glance (counts, the last 30 days, favourites).

Read when staff open the admin index; cached for DASHBOARD_SECONDS so that a busy admin does not
scan the interactions on every visit. Its charts are SVG bars (luna.charts): nothing to load from the internet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from experiments.models import Impression
from luna.limits import CACHE_ERRORS
from luna.metrics import CACHE_FAILURES
from plans.models import Booking, Plan
from users.models import User
from venues.models import Interaction, Venue

logger = logging.getLogger(__name__)

DASHBOARD_SECONDS = 60
DAYS = 30
CACHE_KEY = "world:dashboard"


@dataclass(frozen=True)
class Dashboard:
    users: int
    venues: int
    interactions_today: int
    plans: dict[str, int]  # status -> count, every status
    bookings: dict[str, int]
    days: list[date]  # the last DAYS days, oldest first
    interactions_per_day: list[int]
    bookings_per_day: dict[str, list[int]]  # status -> count per day of `days` (by the day they were made)
    most_liked: list[tuple[str, str, int]]  # (venue id, name, people who liked it), best first
    most_recommended: list[tuple[str, str, int]]  # (venue id, name, times shown in the last DAYS days)


def dashboard(*, now=None) -> Dashboard:
    if now is not None:
        return dashboard_figures(now=now)
    try:
        cached = cache.get(CACHE_KEY)
        if cached is not None:
            return cached
        figures = dashboard_figures(now=now)
        cache.set(CACHE_KEY, figures, DASHBOARD_SECONDS)
    except CACHE_ERRORS as exc:
        # The cache is down: the admin's index still opens, counted afresh for each visit.
        logger.warning("cache unavailable, dashboard counted without it: %s", exc)
        CACHE_FAILURES.labels(use="dashboard").inc()
        return dashboard_figures(now=now)
    return figures


def dashboard_figures(*, now=None) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = [today - timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
    since = timezone.make_aware(timezone.datetime.combine(days[0], timezone.datetime.min.time()))
    start_of_today = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))

    per_day = dict(
        Interaction.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )
    booking_days: dict[str, dict[date, int]] = {status: {} for status in Booking.Status.values}
    for status, day, count in (
        Booking.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("status", "day")
        .annotate(count=Count("id"))
        .values_list("status", "day", "count")
    ):
        booking_days[status][day] = count
    most_liked = (
        Interaction.objects.filter(interaction_type__in=Interaction.POSITIVE_TYPES)
        .values("venue_id", "venue__name")
        .annotate(people=Count("user_id", distinct=True))
        .order_by("-people", "venue__name")[:10]
    )
    most_recommended = (
        Impression.objects.filter(created_at__gte=since)
        .values("venue_id", "venue__name")
        .annotate(shown=Count("id"))
        .order_by("-shown", "venue__name")[:10]
    )
    return Dashboard(
        users=User.objects.filter(is_staff=False, is_active=True).count(),
        venues=Venue.objects.count(),
        interactions_today=Interaction.objects.filter(created_at__gte=start_of_today).count(),
        plans=_by_status(Plan, Plan.Status.values),
        bookings=_by_status(Booking, Booking.Status.values),
        days=days,
        interactions_per_day=[per_day.get(day, 0) for day in days],
        bookings_per_day={status: [counts.get(day, 0) for day in days] for status, counts in booking_days.items()},
        most_liked=[(str(row["venue_id"]), row["venue__name"], row["people"]) for row in most_liked],
        most_recommended=[(str(row["venue_id"]), row["venue__name"], row["shown"]) for row in most_recommended],
    )


def _by_status(model, statuses) -> dict[str, int]:
    found = dict(model.objects.order_by().values("status").annotate(count=Count("id")).values_list("status", "count"))
    return {status: found.get(status, 0) for status in statuses}


# The bookings chart's colours, one per booking status (luna.charts draws the bars).
COLOURS = {"booked": "#2f855a", "pending": "#b7791f", "failed": "#c53030", "cancelled": "#718096"}
