"""One account can only post so many interactions a minute; popularity counts people, not posts."""

from __future__ import annotations

import pytest

from luna.tests.caches import with_rates
from venues.models import Interaction
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


def test_interaction_posts_are_throttled_per_user(client_for, alice, bob, settings):
    with_rates(settings, interactions="3/minute")
    venue = VenueFactory()
    as_alice = client_for(alice)
    statuses = [
        as_alice.post(f"/venues/{venue.pk}/{path}/", {"interaction_type": "like"}, format="json").status_code
        for path in ("interactions", "interact", "interactions", "interactions")
    ]
    assert statuses == [201, 201, 201, 429]
    assert Interaction.objects.filter(user=alice).count() == 3
    assert client_for(bob).post(f"/venues/{venue.pk}/interactions/", {"interaction_type": "like"}).status_code == 201


def test_the_default_limit_is_generous(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["interactions"] == "120/minute"


def test_reading_venues_is_not_throttled_by_the_interaction_rate(client_for, alice, settings):
    with_rates(settings, interactions="1/minute")
    venue = VenueFactory()
    assert all(client_for(alice).get(f"/venues/{venue.pk}/").status_code == 200 for _ in range(3))
