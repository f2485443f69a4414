"""Great-circle distances, the one formula every app uses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ranking.geometry import EARTH_RADIUS_KM, haversine_km


def test_haversine_measures_known_distances():
    # New York (40.7128, -74.0060) to London (51.5074, -0.1278): about 5,570 km.
    distances = haversine_km(
        40.7128, -74.0060, np.array([40.7128, 51.5074, -40.7128]), np.array([-74.0060, -0.1278, 105.994])
    )
    assert distances[0] == 0.0
    assert distances[1] == pytest.approx(5570.2, abs=0.5)
    # The antipode is half the circumference away, not NaN.
    assert distances[2] == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-6)


def test_one_pair_of_points_gives_one_distance():
    assert float(haversine_km(40.7128, -74.0060, 51.5074, -0.1278)) == pytest.approx(5570.2, abs=0.5)
