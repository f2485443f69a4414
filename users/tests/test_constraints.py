"""The database itself refuses values outside the design's ranges."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory
from social.tests.factories import SocialEdgeFactory
from users.models import User
from users.tests.factories import UserFactory
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


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


def test_it_refuses_a_self_edge():
    alice = UserFactory()
    assert refused(lambda: SocialEdgeFactory(user=alice, other_user=alice))


def test_it_refuses_a_duplicate_edge():
    alice, bob = UserFactory(), UserFactory()
    SocialEdgeFactory(user=alice, other_user=bob)
    assert refused(lambda: SocialEdgeFactory(user=alice, other_user=bob))
    # The reverse direction is a different edge.
    assert not refused(lambda: SocialEdgeFactory(user=bob, other_user=alice))


@pytest.mark.parametrize("strength", [-0.01, 1.01])
def test_it_refuses_strength_outside_zero_to_one(strength):
    assert refused(lambda: SocialEdgeFactory(strength=strength))


def test_it_refuses_a_duplicate_participant():
    participant = PlanParticipantFactory()
    assert refused(lambda: PlanParticipantFactory(plan=participant.plan, user=participant.user))


def test_it_refuses_a_second_booking_for_a_plan():
    plan = PlanFactory()
    BookingFactory(plan=plan)
    assert refused(lambda: BookingFactory(plan=plan))


def test_it_refuses_an_unknown_plan_status():
    assert refused(lambda: PlanFactory(status="maybe"))
