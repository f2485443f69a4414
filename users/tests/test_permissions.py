"""Who may call each account endpoint: anonymous, the owner (alice), another user (bob), staff."""

from __future__ import annotations

import pytest

from users.models import Token, User
from users.services import auth_token_create
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "owner", "other", "staff"]

# (method, path, body, expected status per actor); {alice} is the owner's id.
ENDPOINTS = {
    "signup": ("post", "/users/", {"handle": "newbie", "name": "New", "password": PASSWORD}, (201, 201, 201, 201)),
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
    auth_token_create(user=bob)  # so that revoking has something to remove
    before = snapshot(alice)
    response = getattr(client_for(caller), method)(path.format(alice=alice.id), body, format="json")
    assert response.status_code == expected, response.content
    if expected in (401, 403):
        assert snapshot(alice) == before  # a refused request changes nothing
        assert "detail" in response.json()


@pytest.fixture
def root(db):
    return UserFactory(handle="root", name="Rita Root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "method, body",
    [("patch", {"password": "a-long-unusual-passphrase"}), ("patch", {"is_staff": False}), ("delete", None)],
    ids=["set-password", "demote", "deactivate"],
)
def test_staff_who_are_not_superusers_cannot_take_over_a_superuser(client_for, staff, root, method, body):
    before = root.password
    response = getattr(client_for(staff), method)(f"/users/{root.id}/", body, format="json")
    assert response.status_code == 403
    root.refresh_from_db()
    assert (root.password, root.is_staff, root.is_active) == (before, True, True)


def test_a_superuser_may_change_another_superuser_and_themselves(client_for, root):
    other_root = UserFactory(handle="root2", is_staff=True, is_superuser=True)
    assert client_for(root).patch(f"/users/{other_root.id}/", {"name": "Ro"}, format="json").status_code == 200
    assert client_for(root).patch(f"/users/{root.id}/", {"name": "Rita"}, format="json").status_code == 200
    assert client_for(root).get(f"/users/{other_root.id}/").status_code == 200
