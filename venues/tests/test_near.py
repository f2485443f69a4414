"""`?near=lat,lng&radius_km=`: a true great-circle radius, not a box."""

from __future__ import annotations

import pytest

from ranking.geometry import haversine_km
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

CENTER = (40.0, -74.0)


def names(api_client, query: str) -> list[str]:
    response = api_client.get(f"/venues/?{query}")
    assert response.status_code == 200, response.json()
    return [venue["name"] for venue in response.json()["results"]]


def test_a_venue_in_the_box_corner_but_outside_the_circle_is_left_out(api_client):
    # 0.07 deg north and 0.09 deg east is inside the 10 km bounding box, yet about 10.9 km away.
    corner = VenueFactory(name="Corner", lat=40.07, lng=-73.91)
    VenueFactory(name="Inside", lat=40.05, lng=-74.05)
    assert haversine_km(*CENTER, corner.lat, corner.lng) > 10
    assert names(api_client, "near=40,-74&radius_km=10") == ["Inside"]
    assert names(api_client, "near=40,-74&radius_km=11") == ["Inside", "Corner"]


def test_results_are_nearest_first_and_carry_their_distance(api_client):
    VenueFactory(name="Far", lat=40.08, lng=-74.0)
    VenueFactory(name="Near", lat=40.01, lng=-74.0)
    VenueFactory(name="Elsewhere", lat=48.85, lng=2.35)
    results = api_client.get("/venues/?near=40,-74&radius_km=20").json()["results"]
    assert [venue["name"] for venue in results] == ["Near", "Far"]
    assert results[0]["distance_km"] == round(haversine_km(40, -74, 40.01, -74.0), 3)  # to the metre
    assert results[0]["distance_km"] == pytest.approx(1.112, abs=0.001)


def test_an_explicit_ordering_wins_over_distance(api_client):
    VenueFactory(name="B far", lat=40.08, lng=-74.0)
    VenueFactory(name="A near", lat=40.01, lng=-74.0)
    assert names(api_client, "near=40,-74&radius_km=20&ordering=-name") == ["B far", "A near"]


def test_pagination_counts_only_venues_inside_the_circle(api_client):
    for n in range(5):
        VenueFactory(name=f"In {n}", lat=40.0 + n * 0.001, lng=-74.0)
    VenueFactory(name="Corner", lat=40.07, lng=-73.91)
    first = api_client.get("/venues/?near=40,-74&radius_km=10&limit=2").json()
    assert first["count"] == 5
    assert [venue["name"] for venue in first["results"]] == ["In 0", "In 1"]
    last = api_client.get("/venues/?near=40,-74&radius_km=10&limit=2&offset=4").json()
    assert [venue["name"] for venue in last["results"]] == ["In 4"]
    assert last["next"] is None


def test_the_circle_crosses_the_antimeridian(api_client):
    VenueFactory(name="East of the line", lat=0.0, lng=179.95)
    VenueFactory(name="West of the line", lat=0.0, lng=-179.95)
    VenueFactory(name="Far west", lat=0.0, lng=-179.0)
    assert names(api_client, "near=0,179.99&radius_km=20") == ["East of the line", "West of the line"]


def test_a_circle_around_a_pole_covers_every_longitude(api_client):
    VenueFactory(name="Station", lat=89.95, lng=0.0)
    VenueFactory(name="Other side", lat=89.95, lng=180.0)
    assert sorted(names(api_client, "near=89.99,90&radius_km=20")) == ["Other side", "Station"]


def test_other_filters_combine_with_near(api_client):
    VenueFactory(name="Bar", category="bar", lat=40.01, lng=-74.0)
    VenueFactory(name="Cafe", category="cafe", lat=40.01, lng=-74.0)
    assert names(api_client, "near=40,-74&radius_km=5&category=cafe") == ["Cafe"]


def test_near_without_radius_uses_ten_km(api_client):
    VenueFactory(name="Nine km", lat=40.0 + 9 / 111.195, lng=-74.0)
    VenueFactory(name="Eleven km", lat=40.0 + 11 / 111.195, lng=-74.0)
    assert names(api_client, "near=40,-74") == ["Nine km"]


def test_radius_without_near_filters_nothing(api_client):
    VenueFactory(name="Far away", lat=-33.0, lng=151.0)
    assert names(api_client, "radius_km=1") == ["Far away"]


@pytest.mark.parametrize("near", ["90,180", "-90,-180", "-90.0,180.000", " 12.5 , -7 "])
def test_the_extreme_coordinates_are_accepted(api_client, near):
    assert api_client.get("/venues/", {"near": near, "radius_km": 1}).status_code == 200


def test_a_near_page_costs_two_queries_whatever_the_catalogue_size(api_client, django_assert_num_queries):
    for n in range(30):
        VenueFactory(name=f"V{n:02}", lat=40.0 + n * 0.001, lng=-74.0)
    with django_assert_num_queries(2):  # the count and the page
        response = api_client.get("/venues/?near=40,-74&radius_km=50&limit=10")
    assert response.json()["count"] == 30
