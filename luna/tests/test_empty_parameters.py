"""A filter given empty, or a whole-number filter given a fraction, is a 400 naming it, not ignored."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, parameter",
    [
        ("/venues/?max_price_level=2.5", "max_price_level"),
        ("/venues/?max_price_level=", "max_price_level"),
        ("/plans/?status=", "status"),
        ("/bookings/?status=", "status"),
        ("/reco/people/{alice}/?venue_id=", "venue_id"),
        ("/reco/venues/{alice}/?limit=", "limit"),
        ("/reco/venues/{alice}/?max_price_level=2.5", "max_price_level"),
        ("/social/edges/?user=", "user"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(client_for, alice, path, parameter):
    response = client_for(alice).get(path.format(alice=alice.pk))
    assert response.status_code == 400, response.content
    assert parameter in response.json()


def test_the_same_filters_with_real_values_answer_200(client_for, alice):
    for path in ("/venues/?max_price_level=2", "/plans/?status=pending", "/bookings/?status=booked"):
        assert client_for(alice).get(path).status_code == 200
