"""Realistic bodies for the OpenAPI schema's examples (luna.api.schema.operation): plans and bookings."""

from __future__ import annotations

from users.examples import ALICE_ID, BOB_ID
from venues.examples import RECOMMENDATION_ID, VENUE_ID

PLAN_ID = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
BOOKING_ID = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
DANA_ID = "0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b"

ALICE = {"id": ALICE_ID, "handle": "alice", "name": "Alice Chen"}
BOB = {"id": BOB_ID, "handle": "bob", "name": "Bob Singh"}
DANA = {"id": DANA_ID, "handle": "dana", "name": "Dana Park"}

NEW_PLAN = {
    "venue_id": VENUE_ID,
    "start_time": "2026-12-12T20:00:00-05:00",
    "invitee_ids": [BOB_ID],
    "recommendation_id": RECOMMENDATION_ID,
}
PLAN = {
    "id": PLAN_ID,
    "organizer": ALICE,
    "venue": {"id": VENUE_ID, "name": "Blue Note", "category": "music"},
    "start_time": "2026-12-13T01:00:00Z",
    "status": "pending",
    "participants": [
        {"user": ALICE, "status": "accepted", "updated_at": "2026-12-06T19:45:02.771Z"},
        {"user": BOB, "status": "invited", "updated_at": "2026-12-06T19:45:02.771Z"},
    ],
    "booking": None,
    "created_at": "2026-12-06T19:45:02.764Z",
    "updated_at": "2026-12-06T19:45:02.764Z",
}
PLAN_CHANGE = {"start_time": "2026-12-13T21:30:00-05:00"}
PLAN_MOVED = {
    **PLAN,
    "start_time": "2026-12-14T02:30:00Z",
    "participants": [
        {"user": ALICE, "status": "accepted", "updated_at": "2026-12-06T19:45:02.771Z"},
        {"user": BOB, "status": "invited", "updated_at": "2026-12-06T21:03:40.119Z"},
    ],
    "updated_at": "2026-12-06T21:03:40.112Z",
}
INVITE = {"invitee_ids": [DANA_ID]}
PLAN_WITH_DANA = {
    **PLAN,
    "participants": [
        *PLAN["participants"],
        {"user": DANA, "status": "invited", "updated_at": "2026-12-06T20:10:19.450Z"},
    ],
}
ACCEPT = {"status": "accepted"}
PLAN_ACCEPTED = {
    **PLAN,
    "participants": [
        {"user": ALICE, "status": "accepted", "updated_at": "2026-12-06T19:45:02.771Z"},
        {"user": BOB, "status": "accepted", "updated_at": "2026-12-06T20:31:55.602Z"},
    ],
}
BOOKING = {
    "id": BOOKING_ID,
    "plan_id": PLAN_ID,
    "status": "booked",
    "provider": "mock",
    "external_ref": "mock-961fc72d-12a1-4965-99f1-6ff1ac7deb44",
    "attempts": 1,
    "last_error": "",
    "created_at": "2026-12-06T20:40:12.018Z",
    "updated_at": "2026-12-06T20:40:12.406Z",
}
CONFIRMATION = {"plan_id": PLAN_ID, "booking_id": BOOKING_ID, "status": "confirmed", "booking": BOOKING}
PLAN_CANCELLED = {**PLAN_ACCEPTED, "status": "cancelled", "updated_at": "2026-12-07T09:12:44.090Z"}
