"""The pure numpy functions behind the scores."""

from __future__ import annotations

import math

import numpy as np

from ranking import formula
from ranking.topk import top_k

WEIGHTS = {"spatial": 0.4, "preference": 0.4, "popularity": 0.2}


def test_spatial_decays_with_distance_and_is_zero_without_a_home():
    spatial = formula.spatial_feature(np.array([0.0, 1.0, 10.0, np.nan]), decay_per_km=0.3)
    assert spatial.tolist() == [1.0, math.exp(-0.3), math.exp(-3.0), 0.0]


def test_preference_is_capped_at_one():
    preference = formula.preference_feature(
        np.array([0, 1, 0, 3]), np.array([0, 0, 150, 0]), per_positive=0.5, dwell_scale_seconds=300.0
    )
    assert preference.tolist() == [0.0, 0.5, 0.5, 1.0]


def test_popularity_is_relative_to_the_most_popular_venue_or_zero():
    assert formula.popularity_feature(np.array([0, 2, 4]), max_count=4).tolist() == [0.0, 0.5, 1.0]
    assert formula.popularity_feature(np.array([0, 0]), max_count=0).tolist() == [0.0, 0.0]


def test_venue_score_weighs_the_three_features():
    score = formula.venue_score(np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([1.0, 0.5]), weights=WEIGHTS)
    assert score.tolist() == [0.4 + 0.2, 0.4 + 0.1]


def test_top_k_orders_by_score_then_distance_then_id():
    score = np.array([0.5, 0.9, 0.5, 0.5, 0.1])
    distance = np.array([2.0, 9.0, 1.0, 2.0, 0.0])
    id_rank = np.array([4, 3, 2, 1, 0])
    assert top_k(score, 10, id_rank=id_rank, distance=distance).tolist() == [1, 2, 3, 0, 4]


def test_top_k_breaks_ties_at_the_cut_by_id_not_by_position():
    score = np.zeros(1000)
    id_rank = np.arange(1000)[::-1].copy()
    assert top_k(score, 3, id_rank=id_rank).tolist() == [999, 998, 997]


def test_top_k_treats_missing_distances_as_equal():
    score = np.array([0.3, 0.3, 0.3])
    distance = np.array([np.nan, np.nan, np.nan])
    assert top_k(score, 2, id_rank=np.array([2, 0, 1]), distance=distance).tolist() == [1, 2]


def test_top_k_of_nothing_is_empty():
    assert top_k(np.array([]), 5, id_rank=np.array([], dtype=int)).tolist() == []
