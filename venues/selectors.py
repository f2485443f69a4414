from __future__ import annotations

import math

from django.conf import settings
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

from users.models import User
from venues.models import Interaction, Venue

# Box edges are widened by this much so float rounding never drops a venue on the circle.
_BOX_SLACK_DEGREES = 1e-9


def _earth_radius_km() -> float:
    return float(settings.LUNA_RECO["EARTH_RADIUS_KM"])


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km, the same formula the SQL expression below computes."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dlat = (phi2 - phi1) / 2
    half_dlng = math.radians(lng2 - lng1) / 2
    a = math.sin(half_dlat) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlng) ** 2
    return 2 * _earth_radius_km() * math.asin(math.sqrt(min(1.0, a)))


def _bounding_box(lat: float, lng: float, radius_km: float) -> Q:
    """Rows outside this box are certainly farther than radius_km; it is cheap to test in SQL."""
    angular = radius_km / _earth_radius_km()
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
    # LEAST keeps rounding from pushing ASIN's argument past 1 (an error on PostgreSQL).
    return const(2 * _earth_radius_km()) * ASin(Sqrt(Least(const(1.0), a)))


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
