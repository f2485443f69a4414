"""Realistic bodies for the OpenAPI schema's examples (luna.api.schema.operation): social edges."""

from __future__ import annotations

from users.examples import ALICE_ID, BOB_ID

NEW_EDGE = {"other_user_id": BOB_ID, "relationship_type": "friend", "strength": 0.8}
EDGE = {
    "id": 311,
    "user_id": ALICE_ID,
    "other_user_id": BOB_ID,
    "relationship_type": "friend",
    "strength": 0.8,
    "created_at": "2026-11-04T20:11:52.004Z",
    "updated_at": "2026-11-04T20:11:52.004Z",
}
EDGE_CHANGE = {"strength": 0.95}
