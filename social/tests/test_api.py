"""Directed social edges over the API."""

from __future__ import annotations

import pytest

from social.models import SocialEdge
from social.services import DUPLICATE_EDGE, SELF_EDGE
from social.tests.factories import SocialEdgeFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_user_creates_an_edge_from_themselves(client_for, alice, bob):
    body = {"other_user_id": str(bob.id), "relationship_type": "mutual", "strength": 0.8}
    response = client_for(alice).post("/social/edges/", body, format="json")
    assert response.status_code == 201
    edge = SocialEdge.objects.get()
    assert (edge.user, edge.other_user, edge.relationship_type, edge.strength) == (alice, bob, "mutual", 0.8)
    assert response.json() == {
        "id": edge.id,
        "user_id": str(alice.id),
        "other_user_id": str(bob.id),
        "relationship_type": "mutual",
        "strength": 0.8,
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }


def test_type_and_strength_have_defaults(client_for, alice, bob):
    response = client_for(alice).post("/social/edges", {"other_user_id": str(bob.id)}, format="json")
    assert response.status_code == 201
    assert (response.json()["relationship_type"], response.json()["strength"]) == ("friend", 0.5)


def test_the_list_starts_empty_and_shows_only_the_callers_outgoing_edges(client_for, alice, bob, charlie):
    client = client_for(alice)
    assert client.get("/social/edges/").json() == {"count": 0, "next": None, "previous": None, "results": []}
    weak = SocialEdgeFactory(user=alice, other_user=bob, strength=0.2)
    strong = SocialEdgeFactory(user=alice, other_user=charlie, strength=0.9)
    SocialEdgeFactory(user=bob, other_user=alice)
    listed = client.get("/social/edges/").json()
    assert [edge["id"] for edge in listed["results"]] == [strong.id, weak.id]


def test_staff_list_someone_elses_edges(client_for, staff, alice, bob):
    edge = SocialEdgeFactory(user=bob, other_user=alice)
    SocialEdgeFactory(user=alice, other_user=bob)
    listed = client_for(staff).get(f"/social/edges/?user={bob.id}").json()
    assert [item["id"] for item in listed["results"]] == [edge.id]


def test_a_user_may_name_themselves_in_the_list_filter(client_for, alice, bob):
    SocialEdgeFactory(user=alice, other_user=bob)
    assert client_for(alice).get(f"/social/edges/?user={alice.id}").json()["count"] == 1


def test_the_owner_changes_strength_and_type(client_for, alice, bob):
    edge = SocialEdgeFactory(user=alice, other_user=bob)
    response = client_for(alice).patch(
        f"/social/edges/{edge.id}/", {"strength": 0.95, "relationship_type": "mutual"}, format="json"
    )
    assert response.status_code == 200
    edge.refresh_from_db()
    assert (edge.strength, edge.relationship_type) == (0.95, "mutual")


def test_a_patch_cannot_move_the_edge(client_for, alice, bob, charlie):
    edge = SocialEdgeFactory(user=alice, other_user=bob)
    client_for(alice).patch(f"/social/edges/{edge.id}/", {"other_user_id": str(charlie.id)}, format="json")
    edge.refresh_from_db()
    assert edge.other_user == bob


def test_the_owner_deletes_an_edge(client_for, alice, bob):
    edge = SocialEdgeFactory(user=alice, other_user=bob)
    assert client_for(alice).delete(f"/social/edges/{edge.id}").status_code == 204
    assert not SocialEdge.objects.exists()


def test_a_duplicate_edge_is_a_400(client_for, alice, bob):
    SocialEdgeFactory(user=alice, other_user=bob, strength=0.3)
    response = client_for(alice).post("/social/edges/", {"other_user_id": str(bob.id), "strength": 0.9}, format="json")
    assert response.status_code == 400
    assert DUPLICATE_EDGE in response.json()["other_user_id"][0]
    assert SocialEdge.objects.get().strength == 0.3


def test_the_reverse_edge_is_a_different_edge(client_for, alice, bob):
    SocialEdgeFactory(user=bob, other_user=alice)
    assert client_for(alice).post("/social/edges/", {"other_user_id": str(bob.id)}, format="json").status_code == 201


def test_an_edge_to_yourself_is_a_400(client_for, alice):
    response = client_for(alice).post("/social/edges/", {"other_user_id": str(alice.id)}, format="json")
    assert response.status_code == 400
    assert response.json()["other_user_id"] == [SELF_EDGE]
    assert not SocialEdge.objects.exists()


def test_an_edge_to_a_closed_account_is_a_400(client_for, alice):
    gone = UserFactory(is_active=False)
    response = client_for(alice).post("/social/edges/", {"other_user_id": str(gone.id)}, format="json")
    assert response.status_code == 400
    assert "other_user_id" in response.json()
    assert not SocialEdge.objects.exists()


def test_staff_create_an_edge_for_someone_else(client_for, staff, alice, bob):
    body = {"user_id": str(alice.id), "other_user_id": str(bob.id)}
    response = client_for(staff).post("/social/edges/", body, format="json")
    assert response.status_code == 201
    assert SocialEdge.objects.get().user == alice


def test_a_user_cannot_create_an_edge_for_someone_else(client_for, alice, bob, charlie):
    body = {"user_id": str(bob.id), "other_user_id": str(charlie.id)}
    assert client_for(alice).post("/social/edges/", body, format="json").status_code == 403
    assert not SocialEdge.objects.exists()


@pytest.mark.parametrize("edge_id", ["abc", "12x", "99999999999999999999999999", "0", "-1", "1.5"])
def test_a_malformed_or_unknown_edge_id_is_a_404(client_for, alice, edge_id):
    client = client_for(alice)
    assert client.get(f"/social/edges/{edge_id}/").status_code == 404
    assert client.patch(f"/social/edges/{edge_id}/", {"strength": 0.1}, format="json").status_code == 404
    assert client.delete(f"/social/edges/{edge_id}/").status_code == 404
