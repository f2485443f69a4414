"""GET /reco/venues/{user_id}/ and GET /reco/people/{user_id}/ as a client sees them."""

from __future__ import annotations

import math
import uuid

import pytest

from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db


def venues_url(user) -> str:
    return f"/reco/venues/{user.pk}/"


def people_url(user) -> str:
    return f"/reco/people/{user.pk}/"


class TestWhoMaySee:
    @pytest.mark.parametrize("url", [venues_url, people_url])
    def test_it_asks_anonymous_callers_to_sign_in(self, client_for, alice, url):
        response = client_for(None).get(url(alice))
        assert response.status_code == 401

    @pytest.mark.parametrize("url", [venues_url, people_url])
    def test_it_refuses_someone_elses_recommendations(self, client_for, alice, charlie, url):
        response = client_for(charlie).get(url(alice))
        assert response.status_code == 403
        assert "own recommendations" in response.json()["detail"]

    @pytest.mark.parametrize("url", [venues_url, people_url])
    def test_it_serves_a_user_their_own(self, client_for, alice, venues_near_alice, url):
        assert client_for(alice).get(url(alice)).status_code == 200

    @pytest.mark.parametrize("url", [venues_url, people_url])
    def test_it_serves_staff_anyones(self, client_for, alice, staff, venues_near_alice, url):
        assert client_for(staff).get(url(alice)).status_code == 200

    @pytest.mark.parametrize("path", ["/reco/venues/{}/", "/reco/people/{}/"])
    def test_it_answers_404_for_an_unknown_user(self, client_for, staff, path):
        response = client_for(staff).get(path.format(uuid.uuid4()))
        assert response.status_code == 404
        assert "detail" in response.json()

    @pytest.mark.parametrize("path", ["/reco/venues/{}/", "/reco/people/{}/"])
    @pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "alice", "a.b", "%00"])
    def test_it_answers_404_for_a_malformed_user_id(self, client_for, staff, path, bad_id):
        response = client_for(staff).get(path.format(bad_id))
        assert response.status_code == 404

    def test_it_works_without_the_trailing_slash(self, client_for, alice, venues_near_alice):
        response = client_for(alice).get(f"/reco/venues/{alice.pk}?limit=2")
        assert response.status_code == 200
        assert len(response.json()) == 2


class TestVenueRecommendations:
    def test_it_lists_venues_best_first_with_their_features(self, client_for, alice, venues_near_alice):
        response = client_for(alice).get(venues_url(alice))
        assert response.status_code == 200
        body = response.json()
        assert [row["venue_name"] for row in body] == ["Near Bar", "Middle Bar", "Far Bar", "Uptown Cafe"]
        first = body[0]
        assert set(first) == {
            "recommendation_id", "venue_id", "venue_name", "category", "score", "distance_km", "features",
            "contributions", "baseline", "ranker", "model_version", "experiment", "arm",
        }  # fmt: skip
        assert (first["experiment"], first["arm"]) == (None, None)  # no experiment is running
        assert set(first["features"]) == set(first["contributions"]) == {"spatial", "preference", "popularity"}
        assert (first["ranker"], first["model_version"]) == ("formula", None)  # no model trained yet
        # From a venue nobody liked at alice's median distance (the mean of the middle two of four venues).
        middle = sorted(row["distance_km"] for row in body)[1:3]
        assert {row["baseline"] for row in body} == {first["baseline"]}
        assert first["baseline"] == pytest.approx(0.4 * math.exp(-0.3 * sum(middle) / 2), abs=2e-4)
        assert first["contributions"]["spatial"] == pytest.approx(first["score"] - first["baseline"], abs=1e-6)
        assert first["contributions"]["spatial"] > 0 > body[-1]["contributions"]["spatial"]
        assert first["venue_id"] == str(venues_near_alice[0].pk)
        assert first["category"] == "bar"
        # Distances come to the metre, features to 6 decimals.
        assert first["features"]["spatial"] == pytest.approx(math.exp(-0.3 * first["distance_km"]), abs=2e-4)
        assert first["score"] == pytest.approx(0.4 * first["features"]["spatial"])

    def test_a_like_raises_a_venue_above_nearer_ones(self, client_for, alice, bob, venues_near_alice):
        far_bar = venues_near_alice[2]
        InteractionFactory(user=alice, venue=far_bar, interaction_type="like", dwell_time_seconds=0)
        body = client_for(alice).get(venues_url(alice)).json()
        assert body[0]["venue_name"] == "Far Bar"
        assert body[0]["features"] == {
            "spatial": pytest.approx(math.exp(-0.3 * body[0]["distance_km"]), abs=2e-4),
            "preference": 0.5,
            "popularity": 1.0,
        }

    def test_it_defaults_to_ten_and_honours_the_limit(self, client_for, alice):
        VenueFactory.create_batch(12)
        client = client_for(alice)
        assert len(client.get(venues_url(alice)).json()) == 10
        assert len(client.get(venues_url(alice), {"limit": 3}).json()) == 3
        assert len(client.get(venues_url(alice), {"limit": 100}).json()) == 12

    @pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5"])
    def test_it_rejects_a_limit_outside_1_to_100(self, client_for, alice, venues_near_alice, limit):
        response = client_for(alice).get(venues_url(alice), {"limit": limit})
        assert response.status_code == 400
        assert "limit" in response.json()

    def test_it_filters_by_repeated_category(self, client_for, alice, venues_near_alice):
        VenueFactory(name="Jazz Hall", category="music")
        response = client_for(alice).get(f"{venues_url(alice)}?category=cafe&category=music")
        assert response.status_code == 200
        assert sorted(row["venue_name"] for row in response.json()) == ["Jazz Hall", "Uptown Cafe"]

    def test_the_category_ignores_case_like_the_venue_list(self, client_for, alice, venues_near_alice):
        response = client_for(alice).get(f"{venues_url(alice)}?category=CAFE&category=Bar")
        assert response.status_code == 200
        names = {row["venue_name"] for row in response.json()}
        assert names == {"Near Bar", "Middle Bar", "Far Bar", "Uptown Cafe"}

    def test_an_unknown_category_gives_an_empty_list(self, client_for, alice, venues_near_alice):
        response = client_for(alice).get(venues_url(alice), {"category": "opera"})
        assert response.status_code == 200
        assert response.json() == []

    @pytest.mark.parametrize(
        "parameter, value",
        [
            *(("category", category) for category in ["", "not a slug", "x" * 51]),
            *(("max_price_level", level) for level in ["0", "5", "cheap"]),
        ],
    )
    def test_it_rejects_a_malformed_category_or_a_price_level_outside_1_to_4(self, client_for, alice, parameter, value):
        response = client_for(alice).get(venues_url(alice), {parameter: value})
        assert response.status_code == 400
        assert parameter in response.json()

    def test_it_filters_by_price_level_leaving_out_unknown_prices(self, client_for, alice, venues_near_alice):
        response = client_for(alice).get(venues_url(alice), {"max_price_level": 3})
        assert [row["venue_name"] for row in response.json()] == ["Near Bar", "Middle Bar"]

    def test_it_filters_by_distance_from_home(self, client_for, alice, venues_near_alice):
        response = client_for(alice).get(venues_url(alice), {"max_distance_km": 2})
        body = response.json()
        assert [row["venue_name"] for row in body] == ["Near Bar", "Middle Bar"]
        assert all(row["distance_km"] <= 2 for row in body)

    @pytest.mark.parametrize("distance", ["-1", "nan", "inf", "far"])
    def test_it_rejects_a_bad_distance(self, client_for, alice, distance):
        response = client_for(alice).get(venues_url(alice), {"max_distance_km": distance})
        assert response.status_code == 400
        assert "max_distance_km" in response.json()

    def test_it_can_leave_out_venues_already_seen(self, client_for, alice, venues_near_alice):
        InteractionFactory(user=alice, venue=venues_near_alice[0], interaction_type="view", dwell_time_seconds=5)
        response = client_for(alice).get(venues_url(alice), {"exclude_interacted": "true"})
        assert [row["venue_name"] for row in response.json()] == ["Middle Bar", "Far Bar", "Uptown Cafe"]

    def test_a_user_without_home_still_gets_a_ranking_without_distances(
        self, client_for, homeless, bob, venues_near_alice
    ):
        InteractionFactory(user=bob, venue=venues_near_alice[3], interaction_type="like")
        response = client_for(homeless).get(venues_url(homeless))
        assert response.status_code == 200
        body = response.json()
        assert body[0]["venue_name"] == "Uptown Cafe"
        assert all(row["distance_km"] is None and row["features"]["spatial"] == 0 for row in body)
        # The untouched ones all score 0 and fall back to venue id order.
        rest = [row["venue_id"] for row in body[1:]]
        assert rest == sorted(rest)

    def test_a_user_without_home_cannot_filter_by_distance(self, client_for, homeless, venues_near_alice):
        response = client_for(homeless).get(venues_url(homeless), {"max_distance_km": 5})
        assert response.status_code == 400
        assert "no home location" in response.json()["max_distance_km"][0]

    def test_an_empty_catalogue_gives_an_empty_list(self, client_for, alice):
        response = client_for(alice).get(venues_url(alice))
        assert response.status_code == 200
        assert response.json() == []


class TestPeopleRecommendations:
    def test_without_a_venue_friends_rank_by_strength(self, client_for, alice, friends_of_alice):
        response = client_for(alice).get(people_url(alice))
        assert response.status_code == 200
        body = response.json()
        assert [row["handle"] for row in body] == ["bob", "charlie"]
        assert body[0] == {
            "user_id": str(friends_of_alice[0].other_user_id),
            "handle": "bob",
            "name": "Bob Singh",
            "relationship_type": "friend",
            "score": pytest.approx(0.6 * 0.9),
            "features": {"strength": 0.9, "direct": 0.0, "category": 0.0},
        }

    def test_inactive_friends_never_appear(self, client_for, alice, friends_of_alice, venues_near_alice):
        ghost = friends_of_alice[2].other_user
        InteractionFactory(user=ghost, venue=venues_near_alice[0], interaction_type="like", dwell_time_seconds=600)
        for params in ({}, {"venue_id": str(venues_near_alice[0].pk)}):
            handles = [row["handle"] for row in client_for(alice).get(people_url(alice), params).json()]
            assert "ghost" not in handles

    def test_a_friend_who_liked_the_venue_moves_up(
        self, client_for, alice, charlie, friends_of_alice, venues_near_alice
    ):
        near_bar, middle_bar = venues_near_alice[:2]
        SocialEdgeFactory(user=charlie, other_user=alice)  # charlie added alice: his likes count for her
        InteractionFactory(user=charlie, venue=near_bar, interaction_type="like", dwell_time_seconds=300)
        InteractionFactory(user=charlie, venue=middle_bar, interaction_type="interest", dwell_time_seconds=0)
        body = client_for(alice).get(people_url(alice), {"venue_id": str(near_bar.pk)}).json()
        assert [row["handle"] for row in body] == ["charlie", "bob"]
        # direct = min(1, 0.5 * 1 + 300 / 300); category over both bars = min(1, 0.3 * 2 + 300 / 600)
        assert body[0]["features"] == {"strength": 0.4, "direct": 1.0, "category": 1.0}
        assert body[0]["score"] == pytest.approx(0.6 * 0.4 + 0.25 + 0.15)

    def test_a_venue_without_category_gives_no_category_feature(self, client_for, alice, charlie, friends_of_alice):
        SocialEdgeFactory(user=charlie, other_user=alice)
        plain = VenueFactory(category="")
        other_plain = VenueFactory(category="")
        InteractionFactory(user=charlie, venue=plain, interaction_type="view", dwell_time_seconds=150)
        InteractionFactory(user=charlie, venue=other_plain, interaction_type="like", dwell_time_seconds=600)
        body = client_for(alice).get(people_url(alice), {"venue_id": str(plain.pk)}).json()
        charlie_row = next(row for row in body if row["handle"] == "charlie")
        assert charlie_row["features"] == {"strength": 0.4, "direct": 0.5, "category": 0.0}

    def test_a_person_who_has_not_added_you_shares_no_likes(self, client_for, db):
        # mallory adds victim (no consent needed); victim liked one bar and never added mallory.
        mallory, victim = UserFactory(handle="mallory"), UserFactory(handle="victim")
        liked, other = VenueFactory(category="bar"), VenueFactory(category="bar")
        InteractionFactory(user=victim, venue=liked, interaction_type="like", dwell_time_seconds=300)
        SocialEdgeFactory(user=mallory, other_user=victim, strength=0.5)
        for venue in (liked, other):
            body = client_for(mallory).get(people_url(mallory), {"venue_id": str(venue.pk)}).json()
            assert body == [
                {
                    "user_id": str(victim.pk),
                    "handle": "victim",
                    "name": victim.name,
                    "relationship_type": "friend",
                    "score": pytest.approx(0.6 * 0.5),
                    "features": {"strength": 0.5, "direct": 0.0, "category": 0.0},
                }
            ]

        SocialEdgeFactory(user=victim, other_user=mallory)  # now victim has added mallory too
        shared = client_for(mallory).get(people_url(mallory), {"venue_id": str(liked.pk)}).json()
        # direct = min(1, 0.5 + 300 / 300); category = min(1, 0.3 + 300 / 600)
        assert shared[0]["features"] == {"strength": 0.5, "direct": 1.0, "category": 0.8}
        assert shared[0]["score"] == pytest.approx(0.6 * 0.5 + 0.25 * 1.0 + 0.15 * 0.8)

    def test_it_answers_404_for_an_unknown_venue(self, client_for, alice, friends_of_alice):
        response = client_for(alice).get(people_url(alice), {"venue_id": str(uuid.uuid4())})
        assert response.status_code == 404
        assert "venue" in response.json()["detail"]

    def test_it_rejects_a_malformed_venue_id(self, client_for, alice, friends_of_alice):
        response = client_for(alice).get(people_url(alice), {"venue_id": "nope"})
        assert response.status_code == 400
        assert "venue_id" in response.json()

    @pytest.mark.parametrize("limit", ["0", "101", "x"])
    def test_it_rejects_a_limit_outside_1_to_100(self, client_for, alice, limit):
        response = client_for(alice).get(people_url(alice), {"limit": limit})
        assert response.status_code == 400
        assert "limit" in response.json()

    def test_ties_break_by_user_id(self, client_for, alice):
        from social.tests.factories import SocialEdgeFactory

        friends = [UserFactory() for _ in range(4)]
        for friend in friends:
            SocialEdgeFactory(user=alice, other_user=friend, strength=0.5)
        body = client_for(alice).get(people_url(alice), {"limit": 3}).json()
        assert [row["user_id"] for row in body] == sorted(str(friend.pk) for friend in friends)[:3]

    def test_a_user_without_friends_gets_an_empty_list(self, client_for, alice, venues_near_alice):
        response = client_for(alice).get(people_url(alice), {"venue_id": str(venues_near_alice[0].pk)})
        assert response.status_code == 200
        assert response.json() == []


def test_scores_and_distances_are_answered_rounded(client_for, alice, venues_near_alice):
    body = client_for(alice).get(f"/reco/venues/{alice.pk}/", {"ranker": "formula"}).json()
    for row in body:
        assert row["distance_km"] == round(row["distance_km"], 3)
        for value in (row["score"], *row["features"].values(), *row["contributions"].values()):
            assert value == round(value, 6)
