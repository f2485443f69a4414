"""Geography every app shares: the earth's radius, great-circle distance, valid coordinates."""

from __future__ import annotations

import numpy as np
from django.core.validators import MaxValueValidator, MinValueValidator

EARTH_RADIUS_KM = 6371.0

latitude_validators = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
longitude_validators = [MinValueValidator(-180.0), MaxValueValidator(180.0)]


def haversine_km(lat, lng, lats, lngs) -> np.ndarray:
    """Great-circle distance in km from a point to many (degrees; arrays broadcast, scalars give a scalar)."""
    lat1 = np.radians(lat)
    lat2 = np.radians(lats)
    half_dlat = (lat2 - lat1) / 2.0
    half_dlng = (np.radians(lngs) - np.radians(lng)) / 2.0
    a = np.sin(half_dlat) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(half_dlng) ** 2
    # Rounding can push `a` a hair above 1 for antipodal points, where arcsin is undefined.
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
