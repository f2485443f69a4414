from __future__ import annotations

import importlib.util
from pathlib import Path

from django.conf import settings

TINY_WORLD = {
    "home_center": {"lat": 40.73, "lng": -73.93, "jitter_deg": 0.02},
    "users": [{"handle": handle, "name": handle.title(), "age": 30} for handle in ("alice", "bob", "carol")],
    "venues": [
        {"name": f"Venue {number}", "category": "bar", "lat": 40.7, "lng": -73.9, "price_level": 2, "rating": 4.5}
        for number in range(15)
    ],
    "curated_interactions": [
        {"user": "alice", "venue": "Venue 0", "interaction_type": "like", "dwell_time_seconds": 260},
    ],
    "random_interactions": {"venues_per_user": [8, 12], "types_drawn_from": ["view", "like", "interest"]},
    "curated_edges": [
        {"user": "alice", "other_user": "bob", "relationship_type": "friend", "strength": 0.95, "symmetric": True},
        {"user": "carol", "other_user": "alice", "relationship_type": "mutual", "strength": 0.8},
    ],
    "random_edges": {"relationship_type": ["friend", "mutual", "suggested"]},
    "plans": [
        {
            "organizer": "alice",
            "venue": "Venue 1",
            "starts_in_days": 2,
            "status": "pending",
            "participants": [{"user": "alice", "status": "accepted"}, {"user": "bob", "status": "invited"}],
        }
    ],
}


def build_demo():
    path = Path(settings.BASE_DIR) / "fixtures" / "build_demo.py"
    spec = importlib.util.spec_from_file_location("build_demo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_same_description_always_builds_the_same_fixture():
    module = build_demo()

    assert module.build(TINY_WORLD) == module.build(TINY_WORLD)


def test_it_builds_curated_edges_both_ways_when_symmetric_and_links_every_other_pair():
    objects = build_demo().build(TINY_WORLD)

    handles = {item["pk"]: item["fields"]["handle"] for item in objects if item["model"] == "users.user"}
    edges = {
        (handles[item["fields"]["user"]], handles[item["fields"]["other_user"]]): item["fields"]
        for item in objects
        if item["model"] == "social.socialedge"
    }
    assert len(edges) == 3 * 2
    assert edges[("alice", "bob")]["strength"] == edges[("bob", "alice")]["strength"] == 0.95
    assert edges[("carol", "alice")]["relationship_type"] == "mutual"
    assert 0.3 <= edges[("alice", "carol")]["strength"] <= 0.9


def test_every_user_gets_eight_to_twelve_random_interactions_with_the_described_dwell():
    objects = build_demo().build(TINY_WORLD)

    interactions = [item["fields"] for item in objects if item["model"] == "venues.interaction"]
    handles = {item["pk"]: item["fields"]["handle"] for item in objects if item["model"] == "users.user"}
    for pk, handle in handles.items():
        own = [row for row in interactions if row["user"] == pk]
        assert 8 <= len(own) - (1 if handle == "alice" else 0) <= 12
    for row in interactions[1:]:
        low = 30 if row["interaction_type"] == "view" else 120
        assert low <= row["dwell_time_seconds"] <= low + 240
