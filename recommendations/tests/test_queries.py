"""A recommendation costs the same number of queries whatever the size of the catalogue or the friend list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from experiments.assignment import running_cache
from recommendations.catalogue import catalogue_cache
from recommendations.tests.worlds import build_world
from social.models import SocialEdge
from users.models import User
from venues.models import Interaction, Venue

pytestmark = pytest.mark.django_db

# Users ask for their own recommendations here, so the user in the path needs no query.
# In a transaction (every test here runs in one) the candidate list's read and its write each sit in
# a savepoint of their own (recommendations.candidates): two statements more each.
SAVEPOINT = 2
# Cold: the catalogue's watermarks (one query), the catalogue load (venues, the interaction watermark,
# the popularity GROUP BY); the running experiment (read once per process and kept while it is
# unchanged); the user's candidate list with the marks of their own inputs (one query), none yet, so
# the user's own totals and the list ranked and kept (one upsert); and, after the response has gone,
# the one insert recording what was shown (experiments.impressions). The venues picked are looked
# up only when one was deleted since the catalogue was read (test_freshness).
MAX_VENUE_QUERIES_COLD = 9 + 2 * SAVEPOINT
# Warm: the watermarks and the user's kept list; the insert after the response.
MAX_VENUE_QUERIES_WARM = 3 + SAVEPOINT
# The venue, the friends, the catalogue's watermarks, the friends' totals per venue.
MAX_PEOPLE_QUERIES_WARM = 4
# And the running experiment and the catalogue load.
MAX_PEOPLE_QUERIES_COLD = 4 + MAX_PEOPLE_QUERIES_WARM
# The friends.
MAX_PEOPLE_QUERIES_WITHOUT_VENUE = 1


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
    catalogue_cache.invalidate()
    running_cache.invalidate()
    # (50, not 100, in the counted calls: SQLite takes at most 999 parameters per statement, so
    # 100 impressions of 10 columns would be written in two inserts there.)
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_COLD):
        cold_large = count_queries(client, url, {"limit": 50})
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_WARM):
        warm_large = count_queries(client, url, {"limit": 50, "category": ["bar", "cafe"], "exclude_interacted": 1})

    assert cold_small == cold_large
    assert warm_small == warm_large
    assert len(client.get(url, {"limit": 100}).json()) == 100


def test_new_interactions_cost_one_more_query_however_many(client_for, django_assert_max_num_queries, bob):
    world = build_world(13, users=5, venues=20, interactions=10)
    user = world.users[1]
    client = client_for(user)
    url = f"/reco/venues/{user.pk}/"
    count_queries(client, url)
    Interaction.objects.bulk_create(
        Interaction(user=bob, venue=world.venues[index % 20], interaction_type="like") for index in range(500)
    )
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_WARM + 1):
        count_queries(client, url)


def add_friends(user: User, count: int, start: int) -> None:
    """`count` more friends of `user`, each with a like on every venue."""
    friends = [User(handle=f"friend{start + index}", name="Friend", password="!") for index in range(count)]
    User.objects.bulk_create(friends)
    SocialEdge.objects.bulk_create(SocialEdge(user=user, other_user=friend, strength=0.5) for friend in friends)
    Interaction.objects.bulk_create(
        Interaction(user=friend, venue=venue, interaction_type="like")
        for friend in friends
        for venue in Venue.objects.all()
    )


def test_people_recommendations_cost_the_same_at_5_and_500_friends(client_for, alice, django_assert_max_num_queries):
    world = build_world(15, users=3, venues=5, interactions=0)
    venue = world.venues[2]
    client = client_for(alice)
    url = f"/reco/people/{alice.pk}/"
    counts = {}
    for size, (add, start) in {"few": (5, 0), "many": (495, 5)}.items():
        add_friends(alice, add, start=start)
        catalogue_cache.invalidate()
        with django_assert_max_num_queries(MAX_PEOPLE_QUERIES_COLD):
            cold = count_queries(client, url, {"venue_id": str(venue.pk), "limit": 100})
        with django_assert_max_num_queries(MAX_PEOPLE_QUERIES_WARM):
            warm = count_queries(client, url, {"venue_id": str(venue.pk), "limit": 100})
        with django_assert_max_num_queries(MAX_PEOPLE_QUERIES_WITHOUT_VENUE):
            without_venue = count_queries(client, url, {"limit": 100})
        counts[size] = (cold, warm, without_venue)

    assert counts["few"] == counts["many"]
    assert len(client.get(url, {"limit": 100}).json()) == 100


def test_staff_asking_for_someone_else_costs_one_more_query(client_for, staff, django_assert_max_num_queries):
    world = build_world(16, users=4, venues=20, interactions=50)
    user = world.users[1]
    client = client_for(staff)
    count_queries(client, f"/reco/venues/{user.pk}/")
    with django_assert_max_num_queries(MAX_VENUE_QUERIES_WARM + 1):
        count_queries(client, f"/reco/venues/{user.pk}/")
