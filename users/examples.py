"""Realistic bodies for the OpenAPI schema's examples (luna.api.schema.operation): accounts."""

from __future__ import annotations

ALICE_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
BOB_ID = "2f1b3c9d-8e4a-4b6f-9d2e-5a7c1e3f8b60"

SIGNUP = {
    "handle": "alice",
    "name": "Alice Chen",
    "password": "a long passphrase",
    "age": 29,
    "home_lat": 40.73,
    "home_lng": -73.99,
}
ALICE = {
    "id": ALICE_ID,
    "handle": "alice",
    "name": "Alice Chen",
    "age": 29,
    "home_lat": 40.73,
    "home_lng": -73.99,
    "is_active": True,
    "is_staff": False,
    "created_at": "2026-11-02T18:04:11.532Z",
}
# Bob as alice sees him: who he is, not where he lives.
BOB_SEEN_BY_ALICE = {"id": BOB_ID, "handle": "bob", "name": "Bob Singh", "created_at": "2026-11-03T09:15:40.118Z"}
PROFILE_CHANGE = {"name": "Alice C.", "home_lat": 40.7411, "home_lng": -73.9897}
SIGN_IN = {"handle": "alice", "password": "a long passphrase"}
TOKEN = {"token": "3f6c1d0a9b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", "user": ALICE}
