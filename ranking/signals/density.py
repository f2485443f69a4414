"""The kernel density over the user's visited venues (near_your_places: kde): its points, its pool
candidates (the venues nearest each visited one) and its value at any venue."""

from __future__ import annotations

import numpy as np

from ranking.geometry import EARTH_RADIUS_KM, km_from_dot
from ranking.world import World


def nearest_counted(config: dict, n_venues: int) -> int:
    """How many of the venues nearest each visited one the density's pool looks at (`kde_candidates`,
    at most every venue): the k that `World.venue_nearest` is asked for."""
    return min(config["kde_candidates"], n_venues)


def density_points(venues: np.ndarray, weights: np.ndarray, config: dict) -> tuple[np.ndarray, np.ndarray]:
    """The visited venues the density is made of: the `kde_points` most visited, then the lowest positions."""
    limit = config["kde_points"]
    if len(venues) > limit:
        order = np.lexsort((venues, -weights))[:limit]
        venues, weights = venues[order], weights[order]
    return venues, weights


def density_at(world: World, venues, weights, at: np.ndarray, config: dict) -> np.ndarray:
    """At the venues `at`: the mean over the visited `venues` (weighted by visits) of
    exp(-d^2 / 2h^2), 0 beyond cut x h."""
    if len(at) == 0:
        return np.zeros(0)
    bandwidth = config["kde_bandwidth_km"]
    cut = config["kde_cut"] * bandwidth
    points = world.venue_points
    dot = points[at] @ points[venues].T  # (at, visited)
    # Most pairs are beyond the cut: measure only those whose dot product says they may be within it
    # (the margin covers rounding; the distance itself decides).
    near = np.nonzero(dot >= np.cos(min(cut / EARTH_RADIUS_KM, np.pi)) - 1e-9)
    distance = km_from_dot(dot[near])
    kernel = np.zeros_like(dot)
    kernel[near] = np.where(distance <= cut, np.exp(-0.5 * (distance / bandwidth) ** 2), 0.0)
    return kernel @ (weights / weights.sum()).astype(np.float64)
