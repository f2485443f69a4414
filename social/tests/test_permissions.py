"""Who may call each social edge endpoint: anonymous, the owner (alice), another user (bob), staff.

The edge under test is alice -> bob: bob is its target, which gives him no rights over it.
"""

from __future__ import annotations

import pytest

from social.models import SocialEdge
from social.tests.factories import SocialEdgeFactory

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "owner", "other", "staff"]

ENDPOINTS = {
    "list-own": ("get", "/social/edges/", None, (401, 200, 200, 200)),
    "list-of-alice": ("get", "/social/edges/?user={alice}", None, (401, 200, 403, 200)),
    "create": ("post", "/social/edges/", {"other_user_id": "{charlie}"}, (401, 201, 201, 201)),
    "create-for-alice": (
        "post",
        "/social/edges/",
        {"other_user_id": "{charlie}", "user_id": "{alice}"},
        (401, 201, 403, 201),
    ),
    "retrieve": ("get", "/social/edges/{edge}/", None, (401, 200, 403, 200)),
    "update": ("patch", "/social/edges/{edge}/", {"strength": 0.1}, (401, 200, 403, 200)),
    "delete": ("delete", "/social/edges/{edge}/", None, (401, 204, 403, 204)),
}

CASES = [
    pytest.param(endpoint, actor, expected[index], id=f"{endpoint}-{actor}")
    for endpoint, (_, _, _, expected) in ENDPOINTS.items()
    for index, actor in enumerate(ACTORS)
]


def snapshot() -> list:
    return list(SocialEdge.objects.order_by("id").values_list("user_id", "other_user_id", "strength"))


@pytest.mark.parametrize("endpoint, actor, expected", CASES)
def test_permission_matrix(client_for, alice, bob, charlie, staff, endpoint, actor, expected):
    method, path, body, _ = ENDPOINTS[endpoint]
    edge = SocialEdgeFactory(user=alice, other_user=bob, strength=0.7)
    ids = {"alice": alice.id, "charlie": charlie.id, "edge": edge.id}
    if body:
        body = {key: value.format(**ids) if isinstance(value, str) else value for key, value in body.items()}
    caller = {"anonymous": None, "owner": alice, "other": bob, "staff": staff}[actor]
    before = snapshot()
    response = getattr(client_for(caller), method)(path.format(**ids), body, format="json")
    assert response.status_code == expected, response.content
    if expected in (401, 403):
        assert snapshot() == before
        assert "detail" in response.json()
