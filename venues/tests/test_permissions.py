"""Who may call each venue endpoint: anonymous, the owner (alice), another user (bob), staff.

Venues have no owner; alice is the user whose interactions are recorded, so "owner" means
acting as herself and "other" means bob naming alice.
"""

from __future__ import annotations

import pytest

from venues.models import Interaction, Venue
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "owner", "other", "staff"]
NEW_VENUE = {"name": "New place", "lat": 40.7, "lng": -74.0}

ENDPOINTS = {
    "list": ("get", "/venues/", None, (200, 200, 200, 200)),
    "retrieve": ("get", "/venues/{venue}/", None, (200, 200, 200, 200)),
    "create": ("post", "/venues/", NEW_VENUE, (401, 403, 403, 201)),
    "update": ("patch", "/venues/{venue}/", {"name": "Renamed"}, (401, 403, 403, 200)),
    "delete": ("delete", "/venues/{venue}/", None, (401, 403, 403, 204)),
    "interaction-for-self": (
        "post",
        "/venues/{venue}/interactions/",
        {"interaction_type": "like"},
        (401, 201, 201, 201),
    ),
    "interaction-for-alice": (
        "post",
        "/venues/{venue}/interactions/",
        {"interaction_type": "like", "user_id": "{alice}"},
        (401, 201, 403, 201),
    ),
    "interact-alias-for-alice": (
        "post",
        "/venues/{venue}/interact",
        {"interaction_type": "view", "user_id": "{alice}"},
        (401, 201, 403, 201),
    ),
}

CASES = [
    pytest.param(endpoint, actor, expected[index], id=f"{endpoint}-{actor}")
    for endpoint, (_, _, _, expected) in ENDPOINTS.items()
    for index, actor in enumerate(ACTORS)
]


def snapshot() -> tuple:
    return Interaction.objects.count(), sorted(Venue.objects.values_list("name", flat=True))


@pytest.mark.parametrize("endpoint, actor, expected", CASES)
def test_permission_matrix(client_for, alice, bob, staff, endpoint, actor, expected):
    method, path, body, _ = ENDPOINTS[endpoint]
    venue = VenueFactory(name="Existing")
    caller = {"anonymous": None, "owner": alice, "other": bob, "staff": staff}[actor]
    if body and body.get("user_id") == "{alice}":
        body = {**body, "user_id": str(alice.id)}
    before = snapshot()
    response = getattr(client_for(caller), method)(path.format(venue=venue.id), body, format="json")
    assert response.status_code == expected, response.content
    if expected in (401, 403):
        assert snapshot() == before
        assert "detail" in response.json()
