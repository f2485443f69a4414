from __future__ import annotations

import pytest

from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory


@pytest.fixture
def venues_near_alice(db):
    """Three bars around alice's home (the factory default), nearest first, plus a far cafe."""
    return [
        VenueFactory(name="Near Bar", category="bar", lat=40.7310, lng=-73.9350, price_level=1),
        VenueFactory(name="Middle Bar", category="bar", lat=40.7400, lng=-73.9400, price_level=3),
        VenueFactory(name="Far Bar", category="bar", lat=40.7600, lng=-73.9600, price_level=4),
        VenueFactory(name="Uptown Cafe", category="cafe", lat=40.8000, lng=-73.9500, price_level=None),
    ]


@pytest.fixture
def homeless(db):
    return UserFactory(handle="nomad", name="No Home", home_lat=None, home_lng=None)


@pytest.fixture
def friends_of_alice(alice, bob, charlie):
    """alice -> bob (0.9), alice -> charlie (0.4), and alice -> an inactive user (1.0)."""
    ghost = UserFactory(handle="ghost", name="Gone Away", is_active=False)
    return [
        SocialEdgeFactory(user=alice, other_user=bob, strength=0.9, relationship_type="friend"),
        SocialEdgeFactory(user=alice, other_user=charlie, strength=0.4, relationship_type="suggested"),
        SocialEdgeFactory(user=alice, other_user=ghost, strength=1.0, relationship_type="mutual"),
    ]


@pytest.fixture(autouse=True)
def _catalogue_reloads_on_the_request_path(settings):
    # A background thread would read through its own connection, outside the test's transaction.
    settings.LUNA_RECO = {**settings.LUNA_RECO, "REFRESH_IN_BACKGROUND": False}
