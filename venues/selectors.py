from __future__ import annotations

import math

from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

from ranking.geometry import EARTH_RADIUS_KM
from users.models import User
from venues.models import Interaction, Venue

# Box edges are widened by this much so float rounding never drops a venue on the circle.
_BOX_SLACK_DEGREES = 1e-9


def _bounding_box(lat: float, lng: float, radius_km: float) -> Q:
    """Rows outside this box are certainly farther than radius_km; it is cheap to test in SQL."""
    angular = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angular) + _BOX_SLACK_DEGREES
    box = Q(lat__gte=lat - dlat, lat__lte=lat + dlat)
    if lat - dlat <= -90 or lat + dlat >= 90 or angular >= math.pi / 2:
        return box  # a pole is inside the circle: every longitude may qualify
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1:
        return box
    dlng = math.degrees(math.asin(ratio)) + _BOX_SLACK_DEGREES
    if dlng >= 180:
        return box
    low, high = lng - dlng, lng + dlng
    if low < -180:  # the circle crosses the antimeridian
        return box & (Q(lng__gte=low + 360) | Q(lng__lte=high))
    if high > 180:
        return box & (Q(lng__gte=low) | Q(lng__lte=high - 360))
    return box & Q(lng__gte=low, lng__lte=high)


def _distance_expression(lat: float, lng: float):
    def const(value: float) -> Value:
        return Value(value, output_field=FloatField())

    phi = math.radians(lat)
    half_dlat = (Radians(F("lat")) - const(phi)) / const(2.0)
    half_dlng = (Radians(F("lng")) - const(math.radians(lng))) / const(2.0)
    a = Power(Sin(half_dlat), 2) + const(math.cos(phi)) * Cos(Radians(F("lat"))) * Power(Sin(half_dlng), 2)
    # ranking.geometry.haversine_km in SQL. LEAST keeps rounding from pushing ASIN's argument past 1
    # (an error on PostgreSQL).
    return const(2 * EARTH_RADIUS_KM) * ASin(Sqrt(Least(const(1.0), a)))


def venues_within(queryset: QuerySet[Venue], *, lat: float, lng: float, radius_km: float) -> QuerySet[Venue]:
    """Venues at most radius_km away (true haversine), annotated with `distance_km`.

    A bounding box prefilters in SQL; the exact distance is computed and compared in the
    same query, so counting and paginating stay correct on SQLite and PostgreSQL alike.
    """
    return (
        queryset.filter(_bounding_box(lat, lng, radius_km))
        .annotate(distance_km=_distance_expression(lat, lng))
        .filter(distance_km__lte=radius_km)
    )


def venue_list() -> QuerySet[Venue]:
    return Venue.objects.all()


def interaction_list(*, user: User) -> QuerySet[Interaction]:
    return Interaction.objects.filter(user=user).order_by("-created_at", "-id")
