"""A recommendation costs the same number of queries whatever the size of the catalogue or the friend list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommendations.catalogue import catalogue_invalidate
from recommendations.tests.worlds import build_world
from social.models import SocialEdge
from users.models import User

pytestmark = pytest.mark.django_db

# Catalogue load included: generation check is in the cache, then 2 watermarks, venues,
# the interaction watermark and the popularity GROUP BY, then the user's own totals.
MAX_VENUE_QUERIES_COLD = 7
# Warm: 2 watermarks and the user's own totals (plus the lookup of the user in the path).
MAX_VENUE_QUERIES_WARM = 4
MAX_PEOPLE_QUERIES = 4


def count_queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


def test_venue_recommendations_cost_the_same_at_20_and_2000_venues(client_for, django_assert_max_num_queries):
    small = build_world(11, users=5, venues=20, interactions=100)
    user = small.users[1]
    client = client_for(user)
    url = f"/reco/venues/{user.pk}/"
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_COLD):
        cold_small = count_queries(client, url)
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_WARM):
        warm_small = count_queries(client, url)

    build_world(12, users=50, venues=1980, interactions=5000)
    catalogue_invalidate()
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_COLD):
        cold_large = count_queries(client, url, {"limit": 100})
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_WARM):
        warm_large = count_queries(client, url, {"limit": 100, "category": ["bar", "cafe"], "exclude_interacted": 1})

    assert cold_small == cold_large
    assert warm_small == warm_large
    assert len(client.get(url, {"limit": 100}).json()) == 100


def test_new_interactions_cost_one_more_query_however_many(client_for, django_assert_max_num_queries, bob):
    world = build_world(13, users=5, venues=20, interactions=10)
    user = world.users[1]
    client = client_for(user)
    url = f"/reco/venues/{user.pk}/"
    count_queries(client, url)
    build_world(14, users=5, venues=0, interactions=0)
    from venues.models import Interaction

    Interaction.objects.bulk_create(
        Interaction(user=bob, venue=world.venues[index % 20], interaction_type="like") for index in range(500)
    )
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_WARM + 1):
        count_queries(client, url)


def add_friends(user: User, count: int, start: int) -> None:
    friends = [User(handle=f"friend{start + index}", name="Friend", password="!") for index in range(count)]
    User.objects.bulk_create(friends)
    SocialEdge.objects.bulk_create(SocialEdge(user=user, other_user=friend, strength=0.5) for friend in friends)


def test_people_recommendations_cost_the_same_at_5_and_500_friends(client_for, alice, django_assert_max_num_queries):
    world = build_world(15, users=3, venues=5, interactions=0)
    venue = world.venues[2]
    client = client_for(alice)
    url = f"/reco/people/{alice.pk}/"
    add_friends(alice, 5, start=0)
    with django_assert_max_num_queries(MAX_PEOPLE_QUERIES):
        few = count_queries(client, url, {"venue_id": str(venue.pk)})
    few_without_venue = count_queries(client, url)

    add_friends(alice, 495, start=5)
    with django_assert_max_num_queries(MAX_PEOPLE_QUERIES):
        many = count_queries(client, url, {"venue_id": str(venue.pk), "limit": 100})
    many_without_venue = count_queries(client, url)

    assert few == many
    assert few_without_venue == many_without_venue
    assert len(client.get(url, {"limit": 100}).json()) == 100
