"""Who may call each account endpoint: anonymous, the owner (alice), another user (bob), staff."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from users.models import User
from users.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "owner", "other", "staff"]

# (method, path, body, expected status per actor); {alice} is the owner's id.
ENDPOINTS = {
    "signup": ("post", "/users/", {"handle": "newbie", "name": "New"}, (201, 201, 201, 201)),
    "token": ("post", "/auth/token/", {"handle": "alice", "password": PASSWORD}, (200, 200, 200, 200)),
    "revoke-token": ("delete", "/auth/token/", None, (401, 204, 204, 204)),
    "list": ("get", "/users/", None, (401, 200, 200, 200)),
    "me": ("get", "/users/me/", None, (401, 200, 200, 200)),
    "retrieve": ("get", "/users/{alice}/", None, (401, 200, 200, 200)),
    "update": ("patch", "/users/{alice}/", {"name": "Changed"}, (401, 200, 403, 200)),
    "deactivate": ("delete", "/users/{alice}/", None, (401, 204, 403, 204)),
    "interactions": ("get", "/users/{alice}/interactions/", None, (401, 200, 403, 200)),
}

CASES = [
    pytest.param(endpoint, actor, expected[index], id=f"{endpoint}-{actor}")
    for endpoint, (_, _, _, expected) in ENDPOINTS.items()
    for index, actor in enumerate(ACTORS)
]


def snapshot(alice: User) -> tuple:
    alice.refresh_from_db()
    return User.objects.count(), Token.objects.count(), alice.name, alice.is_active


@pytest.mark.parametrize("endpoint, actor, expected", CASES)
def test_permission_matrix(client_for, alice, bob, staff, endpoint, actor, expected):
    method, path, body, _ = ENDPOINTS[endpoint]
    caller = {"anonymous": None, "owner": alice, "other": bob, "staff": staff}[actor]
    Token.objects.create(user=bob)  # so that revoking has something to remove
    before = snapshot(alice)
    response = getattr(client_for(caller), method)(path.format(alice=alice.id), body, format="json")
    assert response.status_code == expected, response.content
    if expected in (401, 403):
        assert snapshot(alice) == before  # a refused request changes nothing
        assert "detail" in response.json()
