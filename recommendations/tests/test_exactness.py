"""The service ranks exactly like the plain reference implementation of the formulas."""

from __future__ import annotations

import pytest

from recommendations.services import recommend_people, recommend_venues
from recommendations.tests import reference
from recommendations.tests.worlds import build_world

TOLERANCE = 1e-9


def assert_same(service, expected, *, id_field: str, features: tuple[str, ...]) -> None:
    """The same rows in the same order, with the same score and features (within TOLERANCE)."""
    assert [str(getattr(r, id_field)) for r in service] == [getattr(r, id_field) for r in expected]
    for got, want in zip(service, expected, strict=True):
        assert got.score == pytest.approx(want.score, abs=TOLERANCE)
        got_features = got.features if isinstance(got.features, dict) else vars(got.features)
        for feature in features:
            assert got_features[feature] == pytest.approx(getattr(want, feature), abs=TOLERANCE)


def assert_same_venues(service, expected) -> None:
    assert_same(service, expected, id_field="venue_id", features=("spatial", "preference", "popularity"))
    for got, want in zip(service, expected, strict=True):
        if want.distance_km is None:
            assert got.distance_km is None
        else:
            assert got.distance_km == pytest.approx(want.distance_km, abs=TOLERANCE)


def assert_same_people(service, expected) -> None:
    assert_same(service, expected, id_field="user_id", features=("strength", "direct", "category"))


WORLDS = [
    pytest.param(1, dict(users=4, venues=6, interactions=10), id="tiny"),
    pytest.param(2, dict(users=8, venues=30, interactions=120, degree=4), id="small"),
    pytest.param(
        3, dict(users=12, venues=140, interactions=700, degree=6), id="over-the-limit", marks=pytest.mark.slow
    ),
    pytest.param(4, dict(users=6, venues=40, interactions=80, positive=False), id="no-popularity"),
    pytest.param(5, dict(users=5, venues=25, interactions=0), id="no-interactions"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("seed, shape", WORLDS)
def test_venue_rankings_match_the_reference_for_every_user(seed, shape):
    world = build_world(seed, **shape)
    for user in world.users:
        expected = reference.venues_for(user)
        # The full ranking (up to the API's maximum) and a short one that goes through the partial sort.
        assert_same_venues(recommend_venues(user, limit=100), expected[:100])
        assert_same_venues(recommend_venues(user, limit=3), expected[:3])


@pytest.mark.django_db
@pytest.mark.parametrize("seed, shape", WORLDS)
def test_venue_filters_match_the_reference(seed, shape):
    world = build_world(seed, **shape)
    for user in world.users:
        assert_same_venues(
            recommend_venues(user, limit=100, categories=["bar", "cafe"]),
            reference.venues_for(user, categories=["bar", "cafe"])[:100],
        )
        assert_same_venues(
            recommend_venues(user, limit=100, categories=[""]),
            reference.venues_for(user, categories=[""])[:100],
        )
        assert_same_venues(
            recommend_venues(user, limit=100, max_price_level=2, exclude_interacted=True),
            reference.venues_for(user, max_price_level=2, exclude_interacted=True)[:100],
        )
        if user.has_home:
            assert_same_venues(
                recommend_venues(user, limit=100, max_distance_km=15.0),
                reference.venues_for(user, max_distance_km=15.0)[:100],
            )


@pytest.mark.django_db
@pytest.mark.parametrize("seed, shape", WORLDS)
def test_people_rankings_match_the_reference_for_every_user_and_venue(seed, shape):
    world = build_world(seed, **shape)
    # The first venue has no category, the last ones nobody touched.
    venues = [None, *world.venues[:4], *world.venues[-2:]]
    for user in world.users:
        for venue in venues:
            expected = reference.people_for(user, venue=venue)
            assert_same_people(recommend_people(user, venue=venue, limit=100), expected)
            assert_same_people(recommend_people(user, venue=venue, limit=2), expected[:2])


@pytest.mark.django_db
def test_people_rankings_match_with_many_friends_and_shared_categories():
    world = build_world(6, users=30, venues=12, interactions=600, degree=25)
    for user in world.users[:5]:
        for venue in world.venues[:4]:
            assert_same_people(recommend_people(user, venue=venue, limit=100), reference.people_for(user, venue=venue))


@pytest.mark.django_db
def test_the_worlds_cover_the_edge_cases_they_claim():
    from venues.models import Interaction

    world = build_world(2, users=8, venues=30, interactions=120, degree=4)
    assert world.users[0].home_lat is None
    assert not Interaction.objects.filter(user=world.users[-1]).exists()
    assert not world.users[-2].is_active
    assert world.venues[0].category == ""
    assert not Interaction.objects.filter(venue__in=world.venues[-2:]).exists()
    assert all(p.score == 0.6 * p.strength for p in reference.people_for(world.users[1]))
