"""The database itself refuses venues and interactions outside the design's ranges."""

from __future__ import annotations

import pytest

from luna.tests.database import refused
from users.tests.factories import UserFactory
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"lat": -90.01},
        {"lng": 180.5},
        {"price_level": 0},
        {"price_level": 5},
        {"rating": "5.1"},
        {"rating": "-0.1"},
    ],
    ids=["lat", "lng", "price-0", "price-5", "rating-5.1", "rating-negative"],
)
def test_it_refuses_a_venue_out_of_range(fields):
    assert refused(lambda: VenueFactory(**fields))


@pytest.mark.parametrize("dwell", [-1, 86_401])
def test_it_refuses_dwell_time_outside_a_day(dwell):
    user, venue = UserFactory(), VenueFactory()
    assert refused(lambda: InteractionFactory(user=user, venue=venue, dwell_time_seconds=dwell))


def test_it_refuses_an_unknown_interaction_type():
    user, venue = UserFactory(), VenueFactory()
    assert refused(lambda: InteractionFactory(user=user, venue=venue, interaction_type="love"))
