"""Realistic bodies for the OpenAPI schema's examples (luna.api.schema.operation): venues and interactions."""

from __future__ import annotations

from users.examples import ALICE_ID

VENUE_ID = "c4d2a1e8-5b7f-4e3a-9c6d-1f2e3a4b5c6d"
RECOMMENDATION_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

VENUE = {
    "id": VENUE_ID,
    "name": "Blue Note",
    "description": "Jazz club in Greenwich Village, two sets a night.",
    "category": "music",
    "lat": 40.7309,
    "lng": -74.0007,
    "price_level": 3,
    "rating": 4.6,
    "created_at": "2026-10-01T12:00:00Z",
    "updated_at": "2026-11-20T08:30:00Z",
    "distance_km": None,
}
LIKE = {"interaction_type": "like", "recommendation_id": RECOMMENDATION_ID}
INTERACTION = {
    "id": 4812,
    "user_id": ALICE_ID,
    "venue_id": VENUE_ID,
    "interaction_type": "like",
    "dwell_time_seconds": 0,
    "created_at": "2026-12-06T19:42:07.315Z",
}
