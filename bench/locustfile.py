"""The load-test scenario: what the app does when people browse and plan.

Each simulated person signs in with a token prepared by bench/locust.sh and
mixes venue recommendations, people recommendations, venue lists and
interaction posts.
"""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ.get("LUNA_LOAD_WORLD", "bench/out/world.json")) as world_file:
    WORLD = json.load(world_file)


class Person(HttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self) -> None:
        person = random.choice(WORLD["people"])
        self.user_id = person["id"]
        self.client.headers["Authorization"] = f"Token {person['token']}"

    @task(4)
    def venue_recommendations(self) -> None:
        self.client.get(f"/reco/venues/{self.user_id}/?limit=10", name="/reco/venues/{id}/")

    @task(2)
    def people_recommendations(self) -> None:
        venue_id = random.choice(WORLD["venues"])
        self.client.get(f"/reco/people/{self.user_id}/?venue_id={venue_id}&limit=10", name="/reco/people/{id}/")

    @task(3)
    def venue_list(self) -> None:
        category = random.choice(["bar", "cafe", "music", "restaurant"])
        self.client.get(f"/venues/?category={category}&limit=20", name="/venues/")

    @task(1)
    def interaction_post(self) -> None:
        venue_id = random.choice(WORLD["venues"])
        body = {"interaction_type": random.choice(["view", "interest", "like"]), "dwell_time_seconds": 60}
        self.client.post(f"/venues/{venue_id}/interactions/", json=body, name="/venues/{id}/interactions/")
