"""Every bad social edge is a 400 naming the field, and nothing is stored."""

from __future__ import annotations

import uuid

import pytest

from social.models import SocialEdge
from social.tests.factories import SocialEdgeFactory

pytestmark = pytest.mark.django_db


CREATE_CASES = [
    ("other-user-missing", {"strength": 0.5}, "other_user_id"),
    ("other-user-malformed", {"other_user_id": "bob"}, "other_user_id"),
    ("other-user-unknown", {"other_user_id": str(uuid.uuid4())}, "other_user_id"),
    ("other-user-number", {"other_user_id": 42}, "other_user_id"),
    ("other-user-null", {"other_user_id": None}, "other_user_id"),
    ("type-unknown", {"other_user_id": "{bob}", "relationship_type": "enemy"}, "relationship_type"),
    ("strength-negative", {"other_user_id": "{bob}", "strength": -0.01}, "strength"),
    ("strength-over-one", {"other_user_id": "{bob}", "strength": 1.01}, "strength"),
    ("strength-string", {"other_user_id": "{bob}", "strength": "0.5"}, "strength"),
    ("strength-boolean", {"other_user_id": "{bob}", "strength": True}, "strength"),
    ("user-id-malformed", {"other_user_id": "{bob}", "user_id": "me"}, "user_id"),
    ("id-given", {"other_user_id": "{bob}", "id": 7}, "id"),
    ("unknown-field", {"other_user_id": "{bob}", "weight": 0.5}, "weight"),
]


@pytest.mark.parametrize("actor", ["alice", "staff"])
@pytest.mark.parametrize("body, field", [pytest.param(b, f, id=i) for i, b, f in CREATE_CASES])
def test_creating_an_edge_rejects_bad_input(request, client_for, bob, actor, body, field):
    body = {key: str(bob.id) if value == "{bob}" else value for key, value in body.items()}
    response = client_for(request.getfixturevalue(actor)).post("/social/edges/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert SocialEdge.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    ['{"other_user_id": "%s", "strength": NaN}', '{"other_user_id": "%s", "strength": Infinity}', '{"other_user_id": '],
    ids=["nan", "infinity", "truncated"],
)
def test_creating_an_edge_rejects_invalid_json(client_for, alice, bob, raw):
    body = raw % bob.id if "%s" in raw else raw
    response = client_for(alice).generic("POST", "/social/edges/", body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert SocialEdge.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"strength": 2}, "strength"),
        ({"strength": None}, "strength"),
        ({"relationship_type": "rival"}, "relationship_type"),
        ({"other_user_id": "{charlie}", "strength": 0.9}, "other_user_id"),
        ({"user_id": "{charlie}"}, "user_id"),
        ({"id": 1, "strength": 0.9}, "id"),
    ],
)
def test_changing_an_edge_rejects_bad_input_and_changes_nothing(client_for, alice, bob, charlie, body, field):
    edge = SocialEdgeFactory(user=alice, other_user=bob, strength=0.4)
    body = {key: str(charlie.id) if value == "{charlie}" else value for key, value in body.items()}
    response = client_for(alice).patch(f"/social/edges/{edge.id}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    edge.refresh_from_db()
    assert (edge.user, edge.other_user, edge.strength, edge.relationship_type) == (alice, bob, 0.4, "friend")


@pytest.mark.parametrize("user", ["nobody", ""])
def test_staff_listing_with_a_malformed_user_is_a_400(client_for, staff, user):
    response = client_for(staff).get(f"/social/edges/?user={user}")
    assert response.status_code == 400
    assert "user" in response.json()
