"""The venue catalogue and interactions over the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from venues.models import Interaction, Venue
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db

FULL_VENUE = {
    "name": "Blue Note",
    "description": "Jazz club in the Village.",
    "category": "music",
    "lat": 40.7308,
    "lng": -74.0005,
    "price_level": 3,
    "rating": 4.5,
}


def test_a_venue_with_every_field_round_trips_exactly(client_for, staff, api_client):
    created = client_for(staff).post("/venues/", FULL_VENUE, format="json")
    assert created.status_code == 201
    assert {key: created.json()[key] for key in FULL_VENUE} == FULL_VENUE
    fetched = api_client.get(f"/venues/{created.json()['id']}/")
    assert {key: fetched.json()[key] for key in FULL_VENUE} == FULL_VENUE
    # JSON numbers, not strings: 4.5 is written as 4.5.
    assert b'"rating":4.5' in fetched.content
    assert b'"lat":40.7308' in fetched.content
    stored = Venue.objects.get()
    assert stored.rating == Decimal("4.5")
    assert (stored.lat, stored.lng) == (40.7308, -74.0005)


def test_a_venue_with_minimal_fields_round_trips(client_for, staff):
    created = client_for(staff).post("/venues/", {"name": "Corner", "lat": -33.8688, "lng": 151.2093}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["lat"], body["lng"]) == ("Corner", -33.8688, 151.2093)
    assert (body["description"], body["category"], body["price_level"], body["rating"]) == ("", "", None, None)
    assert body["distance_km"] is None


def test_whole_number_ratings_and_extreme_coordinates_are_kept(client_for, staff):
    body = {"name": "Pole", "lat": -90, "lng": 180, "rating": 5, "price_level": 4}
    created = client_for(staff).post("/venues/", body, format="json").json()
    assert (created["lat"], created["lng"], created["rating"]) == (-90.0, 180.0, 5.0)


def test_the_category_is_stored_in_lower_case(client_for, staff):
    created = client_for(staff).post(
        "/venues/", {"name": "X", "lat": 1, "lng": 1, "category": "Karaoke"}, format="json"
    )
    assert created.json()["category"] == "karaoke"


def test_the_list_starts_empty_and_lists_what_was_created(api_client, client_for, staff):
    empty = api_client.get("/venues/").json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}
    client_for(staff).post("/venues/", FULL_VENUE, format="json")
    listed = api_client.get("/venues").json()
    assert listed["count"] == 1
    assert listed["results"][0]["name"] == "Blue Note"


def test_staff_change_and_remove_a_venue(client_for, staff):
    venue = VenueFactory(name="Old name")
    client = client_for(staff)
    changed = client.patch(f"/venues/{venue.id}/", {"name": "New name", "rating": 3.5}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["rating"]) == ("New name", 3.5)
    assert client.delete(f"/venues/{venue.id}").status_code == 204
    assert not Venue.objects.exists()


def test_a_patch_may_clear_the_rating(client_for, staff):
    venue = VenueFactory()
    response = client_for(staff).patch(f"/venues/{venue.id}/", {"rating": None}, format="json")
    assert response.status_code == 200
    venue.refresh_from_db()
    assert venue.rating is None


class TestFilters:
    @pytest.fixture
    def catalogue(self):
        return {
            "bar": VenueFactory(name="Bar", category="bar", price_level=1, rating=Decimal("3.9")),
            "cafe": VenueFactory(
                name="Cafe", category="cafe", price_level=2, rating=Decimal("4.6"), description="Oat latte"
            ),
            "club": VenueFactory(name="Club", category="music", price_level=4, rating=None),
            "diner": VenueFactory(name="Diner", category="restaurant", price_level=None, rating=Decimal("4.0")),
        }

    def names(self, api_client, query: str) -> list[str]:
        response = api_client.get(f"/venues/?{query}")
        assert response.status_code == 200, response.json()
        return [venue["name"] for venue in response.json()["results"]]

    def test_category_is_repeatable(self, api_client, catalogue):
        assert self.names(api_client, "category=bar&category=music") == ["Bar", "Club"]
        assert self.names(api_client, "category=Cafe") == ["Cafe"]
        assert self.names(api_client, "category=nothing") == []

    def test_max_price_level_and_min_rating(self, api_client, catalogue):
        assert self.names(api_client, "max_price_level=2") == ["Bar", "Cafe"]
        assert self.names(api_client, "min_rating=4.0") == ["Cafe", "Diner"]
        assert self.names(api_client, "min_rating=4&max_price_level=1") == []

    def test_search_matches_name_and_description(self, api_client, catalogue):
        assert self.names(api_client, "search=latte") == ["Cafe"]
        assert self.names(api_client, "search=din") == ["Diner"]

    def test_ordering_by_rating_price_and_name(self, api_client, catalogue):
        assert self.names(api_client, "ordering=-name") == ["Diner", "Club", "Cafe", "Bar"]
        rated = self.names(api_client, "ordering=-rating&min_rating=0")
        assert rated == ["Cafe", "Diner", "Bar"]
        assert self.names(api_client, "ordering=price_level&category=bar&category=cafe&category=music") == [
            "Bar",
            "Cafe",
            "Club",
        ]

    @pytest.mark.parametrize(
        "query, expected",
        [
            ("ordering=rating", ["Bar", "Diner", "Cafe", "Club"]),
            ("ordering=-rating", ["Cafe", "Diner", "Bar", "Club"]),
            ("ordering=price_level", ["Bar", "Cafe", "Club", "Diner"]),
            ("ordering=-price_level", ["Club", "Cafe", "Bar", "Diner"]),
        ],
    )
    def test_unrated_and_unpriced_venues_come_last_either_way_on_every_database(
        self, api_client, catalogue, query, expected
    ):
        assert self.names(api_client, query) == expected

    @pytest.mark.parametrize(
        "query, field",
        [
            ("max_price_level=cheap", "max_price_level"),
            ("max_price_level=9", "max_price_level"),
            ("min_rating=5.5", "min_rating"),
            ("min_rating=NaN", "min_rating"),
            ("max_price_level=", "max_price_level"),
            ("min_rating=", "min_rating"),
            ("near=", "near"),
            ("near=40.7,-74.0&radius_km=", "radius_km"),
            ("near=40.7,-74.0,1&radius_km=3", "near"),
            ("near=1e1,0&radius_km=3", "near"),
            ("near=90.5,0&radius_km=3", "near"),
            ("near=0,-180.01&radius_km=3", "near"),
            ("near=here&radius_km=3", "near"),
            ("near=40.7&radius_km=3", "near"),
            ("near=91,0&radius_km=3", "near"),
            ("near=0,181&radius_km=3", "near"),
            ("near=nan,0&radius_km=3", "near"),
            ("near=40.7,-74.0&radius_km=-1", "radius_km"),
            ("near=40.7,-74.0&radius_km=inf", "radius_km"),
            ("near=40.7,-74.0&radius_km=20041", "radius_km"),
            ("ordering=AAA", "ordering"),
            ("ordering=", "ordering"),
            ("ordering=name,rating", "ordering"),
            ("ordering=description", "ordering"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=ten", "limit"),
            ("offset=-1", "offset"),
            ("offset=", "offset"),
            ("offset=99999999999999999999999", "offset"),
        ],
    )
    def test_malformed_filters_are_a_400_naming_the_parameter(self, api_client, catalogue, query, field):
        response = api_client.get(f"/venues/?{query}")
        assert response.status_code == 400
        assert field in response.json()

    @pytest.mark.parametrize(
        "query, message",
        [
            ("near=40.7,-74.0&radius_km=1e400", "Ensure this value is less than or equal to 20040.0."),
            ("max_price_level=" + "9" * 60, "Ensure this value is less than or equal to 4."),
            ("min_rating=1e60", "Ensure this value is less than or equal to 5."),
        ],
    )
    def test_a_huge_number_in_a_filter_gets_one_message_naming_the_real_bound(self, api_client, query, message):
        response = api_client.get(f"/venues/?{query}")
        assert response.status_code == 400
        assert list(response.json().values()) == [[message]]


class TestInteractions:
    def test_a_signed_in_user_records_an_interaction_as_themselves(self, client_for, alice):
        venue = VenueFactory()
        response = client_for(alice).post(
            f"/venues/{venue.id}/interactions/", {"interaction_type": "like", "dwell_time_seconds": 45}, format="json"
        )
        assert response.status_code == 201
        stored = Interaction.objects.get()
        assert (stored.user, stored.venue, stored.interaction_type, stored.dwell_time_seconds) == (
            alice,
            venue,
            "like",
            45,
        )
        assert response.json() == {
            "id": stored.id,
            "user_id": str(alice.id),
            "venue_id": str(venue.id),
            "interaction_type": "like",
            "dwell_time_seconds": 45,
            "created_at": response.json()["created_at"],
        }

    def test_dwell_time_defaults_to_zero(self, client_for, alice):
        venue = VenueFactory()
        response = client_for(alice).post(
            f"/venues/{venue.id}/interactions", {"interaction_type": "view"}, format="json"
        )
        assert response.status_code == 201
        assert Interaction.objects.get().dwell_time_seconds == 0

    def test_the_reference_path_interact_is_accepted(self, client_for, alice):
        venue = VenueFactory()
        for path in (f"/venues/{venue.id}/interact", f"/venues/{venue.id}/interact/"):
            assert client_for(alice).post(path, {"interaction_type": "interest"}, format="json").status_code == 201
        assert Interaction.objects.filter(user=alice, interaction_type="interest").count() == 2

    def test_naming_yourself_as_user_id_is_fine(self, client_for, alice):
        venue = VenueFactory()
        body = {"interaction_type": "like", "user_id": str(alice.id).upper()}
        assert client_for(alice).post(f"/venues/{venue.id}/interactions/", body, format="json").status_code == 201

    def test_naming_someone_else_is_forbidden_for_users(self, client_for, alice, bob):
        venue = VenueFactory()
        body = {"interaction_type": "like", "user_id": str(bob.id)}
        response = client_for(alice).post(f"/venues/{venue.id}/interactions/", body, format="json")
        assert response.status_code == 403
        assert not Interaction.objects.exists()

    def test_staff_record_for_someone_else(self, client_for, staff, bob):
        venue = VenueFactory()
        body = {"interaction_type": "like", "user_id": str(bob.id)}
        response = client_for(staff).post(f"/venues/{venue.id}/interactions/", body, format="json")
        assert response.status_code == 201
        assert Interaction.objects.get().user == bob

    def test_interactions_are_appended_not_merged(self, client_for, alice):
        venue = VenueFactory()
        InteractionFactory(user=alice, venue=venue, interaction_type="like")
        client_for(alice).post(f"/venues/{venue.id}/interactions/", {"interaction_type": "like"}, format="json")
        assert Interaction.objects.filter(user=alice, venue=venue).count() == 2
