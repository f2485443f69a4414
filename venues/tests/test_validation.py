"""Every bad venue or interaction is a 400 naming the field, and nothing is stored."""

from __future__ import annotations

import uuid

import pytest

from luna.tests.bodies import bad_coordinates, body_with
from users.tests.factories import UserFactory
from venues.models import Interaction, Venue
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

VALID = {"name": "Blue Note", "category": "music", "lat": 40.73, "lng": -74.0, "price_level": 3, "rating": 4.5}


def with_(**changes) -> dict:
    return body_with(VALID, **changes)


VENUE_CASES = [
    ("name-missing", with_(name=...), "name"),
    ("name-blank", with_(name=""), "name"),
    ("name-number", with_(name=3), "name"),
    ("lat-missing", with_(lat=...), "lat"),
    ("lng-missing", with_(lng=...), "lng"),
    ("lat-null", with_(lat=None), "lat"),
    *((case, with_(**change), field) for case, change, field in bad_coordinates("lat", "lng")),
    ("lng-boolean", with_(lng=True), "lng"),
    ("rating-over-5", with_(rating=5.1), "rating"),
    ("rating-negative", with_(rating=-0.1), "rating"),
    ("rating-two-decimals", with_(rating=4.55), "rating"),
    ("rating-string", with_(rating="4.5"), "rating"),
    ("rating-huge", with_(rating=12), "rating"),
    ("price-level-0", with_(price_level=0), "price_level"),
    ("price-level-5", with_(price_level=5), "price_level"),
    ("price-level-string", with_(price_level="2"), "price_level"),
    ("price-level-fraction", with_(price_level=2.5), "price_level"),
    ("category-not-a-slug", with_(category="live music!"), "category"),
    ("category-number", with_(category=4), "category"),
    ("id-given", with_(id="6f1c0d1e-2b1e-4b8e-9a51-3f7c1a2b9c00"), "id"),
    ("distance-given", with_(distance_km=1.5), "distance_km"),
    ("unknown-field", with_(stars=4), "stars"),
]


@pytest.mark.parametrize("body, field", [pytest.param(b, f, id=i) for i, b, f in VENUE_CASES])
def test_creating_a_venue_rejects_bad_input(client_for, staff, body, field):
    response = client_for(staff).post("/venues/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Venue.objects.count() == 0


@pytest.mark.parametrize(
    "raw, expected",
    [
        ('{"name": "X", "lat": NaN, "lng": 0}', "detail"),
        ('{"name": "X", "lat": 0, "lng": Infinity}', "detail"),
        ('{"name": "X", "lat": 0, "lng": 0, "rating": NaN}', "detail"),
        ('{"name": "X", "lat": 1e400, "lng": 0}', "lat"),
        ('{"name": "X", "lat": 0, "lng": 0, "rating": 1e400}', "rating"),
        ('{"name": "X", "lat": 0, "lng": 0, "rating": 4.50000000000000001e0}', None),
        ("{'name': 'X'}", "detail"),
    ],
    ids=["nan", "infinity", "nan-rating", "huge-lat", "huge-rating", "float-noise-rounds-to-4.5", "single-quotes"],
)
def test_creating_a_venue_rejects_non_finite_and_malformed_json(client_for, staff, raw, expected):
    response = client_for(staff).generic("POST", "/venues/", raw, content_type="application/json")
    if expected is None:
        # 4.50000000000000001 is the same double as 4.5: a JSON client cannot tell them apart.
        assert response.status_code == 201
        assert response.json()["rating"] == 4.5
        return
    assert response.status_code == 400
    assert expected in response.json()
    assert Venue.objects.count() == 0


@pytest.mark.parametrize("rating", [4.55, 12, 0.05])
def test_a_rating_with_more_than_one_decimal_says_so(client_for, staff, rating):
    response = client_for(staff).post("/venues/", with_(rating=rating), format="json")
    assert response.status_code == 400
    assert response.json()["rating"] == ["Give a rating from 0.0 to 5.0 with at most one decimal, e.g. 4.5."]
    assert Venue.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rating": 4.55}, "rating"),
        ({"lat": 100}, "lat"),
        ({"price_level": 0}, "price_level"),
        ({"name": None}, "name"),
        ({"id": "6f1c0d1e-2b1e-4b8e-9a51-3f7c1a2b9c00", "name": "Renamed"}, "id"),
        ({"updated_at": "2020-01-01T00:00:00Z"}, "updated_at"),
    ],
)
def test_changing_a_venue_rejects_bad_input_and_changes_nothing(client_for, staff, body, field):
    venue = VenueFactory()
    before = Venue.objects.filter(pk=venue.pk).values().get()
    response = client_for(staff).patch(f"/venues/{venue.id}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Venue.objects.filter(pk=venue.pk).values().get() == before


INTERACTION_CASES = [
    ("type-missing", {"dwell_time_seconds": 5}, "interaction_type"),
    ("type-unknown", {"interaction_type": "love"}, "interaction_type"),
    ("type-upper-case", {"interaction_type": "LIKE"}, "interaction_type"),
    ("type-number", {"interaction_type": 1}, "interaction_type"),
    ("dwell-negative", {"interaction_type": "view", "dwell_time_seconds": -1}, "dwell_time_seconds"),
    ("dwell-over-a-day", {"interaction_type": "view", "dwell_time_seconds": 86_401}, "dwell_time_seconds"),
    ("dwell-string", {"interaction_type": "view", "dwell_time_seconds": "60"}, "dwell_time_seconds"),
    ("dwell-fraction", {"interaction_type": "view", "dwell_time_seconds": 1.5}, "dwell_time_seconds"),
    ("dwell-null", {"interaction_type": "view", "dwell_time_seconds": None}, "dwell_time_seconds"),
    ("user-id-malformed", {"interaction_type": "view", "user_id": "not-a-uuid"}, "user_id"),
    ("user-id-number", {"interaction_type": "view", "user_id": 17}, "user_id"),
    ("venue-id-given", {"interaction_type": "view", "venue_id": "6f1c0d1e-2b1e-4b8e-9a51-3f7c1a2b9c00"}, "venue_id"),
    ("created-at-given", {"interaction_type": "view", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
]


@pytest.mark.parametrize("actor", ["alice", "staff"])
@pytest.mark.parametrize("body, field", [pytest.param(b, f, id=i) for i, b, f in INTERACTION_CASES])
def test_recording_an_interaction_rejects_bad_input(request, client_for, actor, body, field):
    venue = VenueFactory()
    response = client_for(request.getfixturevalue(actor)).post(f"/venues/{venue.id}/interactions/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Interaction.objects.count() == 0


def test_staff_naming_an_unknown_user_get_a_400(client_for, staff):
    venue = VenueFactory()
    body = {"interaction_type": "view", "user_id": str(uuid.uuid4())}
    response = client_for(staff).post(f"/venues/{venue.id}/interactions/", body, format="json")
    assert response.status_code == 400
    assert "user_id" in response.json()
    assert Interaction.objects.count() == 0


def test_a_user_naming_an_unknown_user_is_refused_like_anyone_else(client_for, alice):
    # Naming anyone else is refused before the id is even looked up.
    venue = VenueFactory()
    body = {"interaction_type": "view", "user_id": str(uuid.uuid4())}
    assert client_for(alice).post(f"/venues/{venue.id}/interactions/", body, format="json").status_code == 403
    assert Interaction.objects.count() == 0


def test_the_longest_dwell_is_a_day_exactly(client_for, alice):
    venue = VenueFactory()
    body = {"interaction_type": "view", "dwell_time_seconds": 86_400}
    assert client_for(alice).post(f"/venues/{venue.id}/interactions/", body, format="json").status_code == 201


def test_an_interaction_for_a_closed_account_is_refused(client_for, staff):
    gone = UserFactory(is_active=False)
    venue = VenueFactory()
    body = {"interaction_type": "like", "user_id": str(gone.id)}
    response = client_for(staff).post(f"/venues/{venue.id}/interactions/", body, format="json")
    assert response.status_code == 400
    assert Interaction.objects.count() == 0
