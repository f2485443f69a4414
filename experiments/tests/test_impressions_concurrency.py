"""Recording impressions under concurrent requests on real PostgreSQL connections: none lost."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db.models import Count
from rest_framework.test import APIClient

from experiments.impressions import impressions_flush
from experiments.models import Impression
from luna.tests.database import parallel_postgres
from plans.tests.test_concurrency import run_together
from recommendations.tests.worlds import build_world

THREADS = 8
REQUESTS = 250
LIMIT = 5

pytestmark = [
    pytest.mark.slow,
    *parallel_postgres("needs parallel PostgreSQL connections; SQLite serializes all writers"),
]


def test_eight_threads_of_250_recommendations_record_every_impression(settings):
    # Far above what one person may ask or have recorded; this test is about the writes, not the limits.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "recommendations": "100000/minute",
        },
    }
    settings.LUNA_IMPRESSIONS_PER_USER_PER_DAY = REQUESTS * LIMIT
    world = build_world(21, users=THREADS, venues=30, interactions=200)
    clients = []
    for user in world.users[:THREADS]:
        client = APIClient()
        client.force_authenticate(user)
        clients.append((client, user))

    def work(index: int) -> list[int]:
        client, user = clients[index]
        codes = []
        for _ in range(REQUESTS):
            response = client.get(f"/reco/venues/{user.pk}/", {"limit": LIMIT, "ranker": "formula"})
            codes.append(response.status_code)
        return codes

    results = run_together(THREADS, work)
    impressions_flush()  # nothing should be left, but a last flush makes "none lost" the claim tested

    assert [code for codes in results for code in codes] == [200] * (THREADS * REQUESTS)
    assert Impression.objects.count() == THREADS * REQUESTS * LIMIT
    assert Impression.objects.values("recommendation_id").distinct().count() == THREADS * REQUESTS
    per_user = {row["user_id"]: row["n"] for row in Impression.objects.values("user_id").annotate(n=Count("id"))}
    assert sorted(per_user.values()) == [REQUESTS * LIMIT] * THREADS


@pytest.mark.skipif(
    "redis" not in django_settings.CACHES["default"]["BACKEND"].lower(),
    reason="needs the Redis cache (CACHE_URL=redis://...), whose incr is atomic across processes",
)
def test_four_threads_of_one_user_store_exactly_the_daily_bound(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "recommendations": "100000/minute",
        },
    }
    settings.LUNA_IMPRESSIONS_PER_USER_PER_DAY = 250
    world = build_world(22, users=1, venues=30, interactions=50)
    mallory = world.users[0]

    def work(index: int) -> list[int]:
        client = APIClient()
        client.force_authenticate(mallory)
        return [
            client.get(f"/reco/venues/{mallory.pk}/", {"limit": LIMIT, "ranker": "formula"}).status_code
            for _ in range(30)
        ]

    results = run_together(4, work)
    impressions_flush()
    # 600 venues shown, every answer served; 250 stored, none over.
    assert [code for codes in results for code in codes] == [200] * 120
    assert Impression.objects.filter(user=mallory).count() == 250
