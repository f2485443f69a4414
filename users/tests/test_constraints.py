"""The database itself refuses users outside the design's ranges."""

from __future__ import annotations

import pytest

from luna.tests.database import refused
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"home_lat": 90.5, "home_lng": 0},
        {"home_lat": 0, "home_lng": -180.1},
        {"home_lat": 40.0, "home_lng": None},
        {"home_lat": None, "home_lng": -73.0},
        {"age": 12},
        {"age": 121},
    ],
    ids=["lat-over-90", "lng-under-minus-180", "lat-without-lng", "lng-without-lat", "age-12", "age-121"],
)
def test_it_refuses_a_user_out_of_range(fields):
    assert refused(lambda: UserFactory(**fields))
    assert User.objects.count() == 0


def test_it_refuses_a_handle_differing_only_in_case():
    UserFactory(handle="alice")
    assert refused(lambda: UserFactory(handle="ALICE"))
    assert list(User.objects.values_list("handle", flat=True)) == ["alice"]
