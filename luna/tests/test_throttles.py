"""Every limiter counts in the shared cache atomically, and a cache outage is never a 500."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory, override_settings

from luna.api.throttles import ScopedRateThrottle
from luna.metrics import CACHE_FAILURES
from luna.tests.caches import cache_down, local_redis, redis_is_up, with_rates
from users.models import User

LIKES = 150
REDIS_DB = 12  # this suite's own database of the local Redis


class _Interactions:
    throttle_scope = "interactions"


def admitted_of_simultaneous(requests: int, user: User) -> int:
    """How many of `requests` likes by `user`, all arriving at once from threads with their own cache
    clients (as from several workers), the interactions limiter lets through."""
    start = threading.Barrier(requests)

    def like(_: int) -> bool:
        request = RequestFactory().post("/venues/x/interactions/")
        request.user = user
        start.wait()
        try:
            return ScopedRateThrottle().allow_request(request, _Interactions())
        finally:
            caches["default"].close()

    with ThreadPoolExecutor(max_workers=requests) as pool:
        return sum(pool.map(like, range(requests)))


@pytest.mark.skipif(not redis_is_up(), reason="needs the local Redis on 127.0.0.1:6379 (.ci/run starts it)")
def test_of_150_simultaneous_likes_exactly_120_are_admitted_with_redis(settings):
    settings.CACHES = local_redis(REDIS_DB)
    with_rates(settings, interactions="120/minute")
    bob = User(handle="bob", name="Bob")
    assert admitted_of_simultaneous(LIKES, bob) == 120


def test_of_150_simultaneous_likes_exactly_120_are_admitted_with_the_file_cache(settings, tmp_path):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    with_rates(settings, interactions="120/minute")
    bob = User(handle="bob", name="Bob")
    assert admitted_of_simultaneous(LIKES, bob) == 120


def test_the_throttled_answer_says_how_long_to_wait(client_for, alice, settings):
    from venues.tests.factories import VenueFactory

    with_rates(settings, interactions="2/minute")
    venue = VenueFactory()
    client = client_for(alice)
    statuses = [
        client.post(f"/venues/{venue.id}/interactions/", {"interaction_type": "like"}, format="json") for _ in range(3)
    ]
    assert [response.status_code for response in statuses] == [201, 201, 429]
    assert 0 < int(statuses[2]["Retry-After"]) <= 60


def cache_failures(use: str) -> float:
    return CACHE_FAILURES.labels(use=use)._value.get()


@pytest.mark.django_db
def test_with_the_cache_down_likes_go_through_uncounted_and_are_counted_in_metrics(client_for, alice):
    from venues.models import Interaction
    from venues.tests.factories import VenueFactory

    venue = VenueFactory()
    before = cache_failures("throttle:interactions")
    with cache_down:
        response = client_for(alice).post(
            f"/venues/{venue.id}/interactions/", {"interaction_type": "like"}, format="json"
        )
    assert response.status_code == 201
    assert Interaction.objects.filter(user=alice, venue=venue).count() == 1
    assert cache_failures("throttle:interactions") == before + 1


@pytest.mark.django_db
def test_with_the_cache_down_the_metrics_page_shows_the_failures(client_for, alice):
    from venues.tests.factories import VenueFactory

    venue = VenueFactory()
    with cache_down:
        client_for(alice).post(f"/venues/{venue.id}/interactions/", {"interaction_type": "like"}, format="json")
        with override_settings(LUNA_METRICS_TOKEN="scrape"):
            body = client_for(None).get("/metrics", HTTP_AUTHORIZATION="Bearer scrape").content.decode()
    assert 'luna_cache_failures_total{use="throttle:interactions"}' in body


@pytest.mark.django_db
def test_with_the_cache_down_venue_recommendations_are_served(client_for, alice):
    from venues.tests.factories import VenueFactory

    VenueFactory.create_batch(3)
    client_for(alice).get(f"/reco/venues/{alice.id}/")  # before the outage: the process has read the cache
    with cache_down:
        response = client_for(alice).get(f"/reco/venues/{alice.id}/")
    assert response.status_code == 200
    assert len(response.json()) == 3


@pytest.mark.django_db
def test_with_the_cache_down_staff_still_open_the_admin_index(staff):
    client = Client()
    client.force_login(staff)
    with cache_down:
        response = client.get("/admin/")
    assert response.status_code == 200
    assert "Luna administration" in response.content.decode()
