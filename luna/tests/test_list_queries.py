"""List endpoints cost a fixed number of queries, however many rows a page holds (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def grow(path: str, alice, rows: int) -> None:
    if path == "/users/":
        UserFactory.create_batch(rows)
    elif path.startswith("/venues/"):
        VenueFactory.create_batch(rows, category="bar", lat=40.73, lng=-73.99)
    elif path == "/social/edges/":
        for other in UserFactory.create_batch(rows):
            SocialEdgeFactory(user=alice, other_user=other)
    else:
        for venue in VenueFactory.create_batch(rows):
            InteractionFactory(user=alice, venue=venue)


@pytest.mark.parametrize(
    "path",
    [
        "/users/",
        "/venues/",
        "/venues/?category=bar&near=40.73,-73.99&radius_km=5&min_rating=0",
        "/social/edges/",
        "/users/{alice}/interactions/",
    ],
)
def test_a_list_page_of_twenty_costs_the_queries_of_a_page_of_two(client_for, alice, path):
    path = path.format(alice=alice.id)
    client = client_for(alice)
    grow(path, alice, 2)
    small = queries_for(client, path)
    grow(path, alice, 18)
    assert client.get(path).json()["count"] >= 20
    assert queries_for(client, path) == small
    assert small <= 3  # the page and its count (plus the caller's own lookup at most)
