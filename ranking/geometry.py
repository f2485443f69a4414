"""Geometry on the earth's surface: its radius, great-circle distance, points on the unit sphere."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat, lng, lats, lngs) -> np.ndarray:
    """Great-circle distance in km from a point to many (degrees; arrays broadcast, scalars give a scalar)."""
    lat1 = np.radians(lat)
    lat2 = np.radians(lats)
    half_dlat = (lat2 - lat1) / 2.0
    half_dlng = (np.radians(lngs) - np.radians(lng)) / 2.0
    a = np.sin(half_dlat) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(half_dlng) ** 2
    # Rounding can push `a` a hair above 1 for antipodal points, where arcsin is undefined.
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def unit_vectors(lat, lng) -> np.ndarray:
    """(n, 3) points on the unit sphere: the chord between two gives their great-circle distance, so one
    matrix product measures a point against many (see km_from_dot). float64: in float32 the dot product
    of two points a kilometre apart is already lost in rounding."""
    phi, lam = np.radians(np.asarray(lat, dtype=np.float64)), np.radians(np.asarray(lng, dtype=np.float64))
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def km_from_dot(dot) -> np.ndarray:
    """Great-circle km between unit vectors whose dot product this is."""
    chord = np.sqrt(np.maximum(2.0 - 2.0 * dot, 0.0))
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2.0, 1.0))
