"""Writes made through the API show up in the very next recommendation (another user's within the candidate
lists' bound)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from recommendations.models import CandidateList

pytestmark = pytest.mark.django_db


def venues_of(client, user) -> dict[str, dict]:
    response = client.get(f"/reco/venues/{user.pk}/", {"limit": 100})
    assert response.status_code == 200
    return {row["venue_name"]: row for row in response.json()}


def test_an_interaction_posted_by_someone_else_moves_popularity_within_the_lists_bound(
    client_for, alice, bob, venues_near_alice, settings
):
    alice_client = client_for(alice)
    assert venues_of(alice_client, alice)["Far Bar"]["features"]["popularity"] == 0.0

    response = client_for(bob).post(
        f"/venues/{venues_near_alice[2].pk}/interactions/", {"interaction_type": "like", "dwell_time_seconds": 30}
    )
    assert response.status_code == 201

    # Alice's kept list answers until it is LUNA_CANDIDATES_MAX_AGE old...
    assert venues_of(alice_client, alice)["Far Bar"]["features"]["popularity"] == 0.0
    CandidateList.objects.update(built_at=timezone.now() - timedelta(seconds=settings.LUNA_CANDIDATES_MAX_AGE))
    # ...and from then on one ranked again.
    venues = venues_of(alice_client, alice)
    assert venues["Far Bar"]["features"]["popularity"] == 1.0
    assert venues["Near Bar"]["features"]["popularity"] == 0.0


def test_alices_own_interaction_raises_her_preference_at_once(client_for, alice, venues_near_alice):
    client = client_for(alice)
    venues_of(client, alice)
    response = client.post(
        f"/venues/{venues_near_alice[3].pk}/interactions/", {"interaction_type": "view", "dwell_time_seconds": 150}
    )
    assert response.status_code == 201
    assert venues_of(client, alice)["Uptown Cafe"]["features"]["preference"] == 0.5


def test_a_venue_created_edited_and_deleted_by_staff(client_for, alice, staff, venues_near_alice):
    client = client_for(alice)
    venues_of(client, alice)
    staff_client = client_for(staff)
    created = staff_client.post(
        "/venues/", {"name": "Doorstep Bar", "category": "bar", "lat": alice.home_lat, "lng": alice.home_lng}
    )
    assert created.status_code == 201, created.json()
    assert client.get(f"/reco/venues/{alice.pk}/", {"limit": 1}).json()[0]["venue_name"] == "Doorstep Bar"

    edited = staff_client.patch(f"/venues/{created.json()['id']}/", {"category": "karaoke"})
    assert edited.status_code == 200, edited.json()
    assert venues_of(client, alice)["Doorstep Bar"]["category"] == "karaoke"

    assert staff_client.delete(f"/venues/{venues_near_alice[0].pk}/").status_code == 204
    assert "Near Bar" not in venues_of(client, alice)


def test_an_edge_posted_by_alice_shows_in_her_people_at_once(client_for, alice, bob):
    client = client_for(alice)
    assert client.get(f"/reco/people/{alice.pk}/").json() == []
    response = client.post("/social/edges/", {"other_user_id": str(bob.pk), "strength": 0.7})
    assert response.status_code == 201, response.json()
    assert [row["handle"] for row in client.get(f"/reco/people/{alice.pk}/").json()] == ["bob"]
