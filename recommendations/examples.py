"""Realistic bodies for the OpenAPI schema's examples (luna.api.schema.operation): recommendations."""

from __future__ import annotations

from plans.examples import PLAN_ID
from users.examples import ALICE_ID, BOB_ID
from venues.examples import RECOMMENDATION_ID, VENUE_ID

VENUE_RECOMMENDATION = {
    "recommendation_id": RECOMMENDATION_ID,
    "venue_id": VENUE_ID,
    "venue_name": "Blue Note",
    "category": "music",
    "score": 0.504698,
    "distance_km": 0.907,
    "features": {"spatial": 0.761746, "preference": 0.0, "popularity": 1.0},
    "contributions": {"spatial": 0.149269, "preference": 0.0, "popularity": 0.2},
    "baseline": 0.155429,
    "ranker": "formula",
    "model_version": None,
    "experiment": None,
    "arm": None,
}
PERSON_RECOMMENDATION = {
    "user_id": BOB_ID,
    "handle": "bob",
    "name": "Bob Singh",
    "relationship_type": "friend",
    "score": 0.48,
    "features": {"strength": 0.8, "direct": 0.0, "category": 0.0},
}
GROUP_SUGGESTIONS = {
    "recommendation_id": "6e5d4c3b-2a19-4f8e-8d7c-6b5a4f3e2d1c",
    "plan_id": PLAN_ID,
    "strategy": "average",
    "ranker": "formula",
    "model_version": None,
    "members": [
        {"user_id": ALICE_ID, "handle": "alice", "name": "Alice Chen", "has_home": True},
        {"user_id": BOB_ID, "handle": "bob", "name": "Bob Singh", "has_home": None},
    ],
    "distance_filter_ignores": [],
    "suggestions": [
        {
            "venue_id": VENUE_ID,
            "venue_name": "Blue Note",
            "category": "music",
            "score": 0.471225,
            "members": [{"user_id": ALICE_ID, "score": 0.504698, "distance_km": 0.907}],
            "most_pleased": ALICE_ID,
            "least_pleased": BOB_ID,
            "features": {"spatial": 0.761746, "preference": 0.0, "popularity": 1.0},
            "contributions": {"spatial": 0.149269, "preference": 0.0, "popularity": 0.2, "group": -0.033473},
            "baseline": 0.155429,
        }
    ],
}
PERSON_SUGGESTION = {
    "user_id": "0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b",
    "handle": "dana",
    "name": "Dana Park",
    "relationship_type": "friend",
    "score": 0.612,
    "reason": {"strength": 0.7, "direct": 0.4, "category": 0.35, "members_known": 1, "connection": 1.0},
}
