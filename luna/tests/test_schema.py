"""The OpenAPI schema lists every endpoint and describes the bodies the API really sends."""

from __future__ import annotations

import copy

import jsonschema
import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from social.tests.factories import SocialEdgeFactory
from users.tests.factories import PASSWORD
from venues.tests.factories import InteractionFactory, VenueFactory

# Every path of the issue's table, with its methods.
DOCUMENTED = {
    "/health/": {"get"},
    "/auth/token/": {"post", "delete"},
    "/users/": {"get", "post"},
    "/users/me/": {"get"},
    "/users/{id}/": {"get", "patch", "delete"},
    "/users/{id}/interactions/": {"get"},
    "/venues/": {"get", "post"},
    "/venues/{id}/": {"get", "patch", "delete"},
    "/venues/{id}/interactions/": {"post"},
    "/venues/{id}/interact/": {"post"},
    "/social/edges/": {"get", "post"},
    "/social/edges/{id}/": {"get", "patch", "delete"},
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("path", sorted(DOCUMENTED))
def test_every_endpoint_of_the_table_is_in_the_schema(schema, path):
    assert path in schema["paths"]
    assert DOCUMENTED[path] <= set(schema["paths"][path])


@pytest.mark.parametrize("path", sorted(DOCUMENTED))
def test_every_operation_documents_its_errors(schema, path):
    for method in DOCUMENTED[path]:
        operation = schema["paths"][path][method]
        codes = set(operation["responses"])
        assert codes & {"200", "201", "204"}, (method, path)
        if path != "/health/":
            assert codes - {"200", "201", "204"}, (method, path)
        if operation.get("requestBody") or method != "get":  # a write that takes no body refuses one
            assert {"400", "415"} <= codes, (method, path)


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/schema/", "/docs/", "/redoc/"])
def test_the_schema_and_its_two_viewers_are_served_to_anyone(api_client, path):
    assert api_client.get(path).status_code == 200


# --- real responses against the documented ones ------------------------------


def _as_json_schema(node):
    """OpenAPI 3.0 says `nullable: true`; JSON Schema says `type: [..., "null"]`."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def assert_documented(schema: dict, method: str, path: str, response) -> None:
    operation = schema["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method.upper()} {path} answered an undocumented {response.status_code}"
    content = documented.get("content")
    if content is None:
        assert not response.content
        return
    body_schema = _as_json_schema(
        {**content["application/json"]["schema"], "components": copy.deepcopy(schema["components"])}
    )
    jsonschema.validate(response.json(), body_schema)


@pytest.fixture
def world(alice, bob, staff):
    venue = VenueFactory()
    InteractionFactory(user=alice, venue=venue)
    edge = SocialEdgeFactory(user=alice, other_user=bob)
    return {"alice": alice, "bob": bob, "staff": staff, "venue": venue, "edge": edge}


@pytest.mark.django_db
def test_real_responses_match_the_schema(schema, world, client_for, api_client):
    alice, venue, edge = world["alice"], world["venue"], world["edge"]
    as_alice, as_bob, as_staff = client_for(alice), client_for(world["bob"]), client_for(world["staff"])
    calls = [
        (api_client, "get", "/health/", "/health/", None),
        (api_client, "post", "/users/", "/users/", {"handle": "dana", "name": "Dana", "password": "a-long-passphrase"}),
        (api_client, "post", "/users/", "/users/", {"handle": "DANA", "name": "Dana"}),
        (api_client, "post", "/users/", "/users/", {"handle": "x", "age": 200}),
        (api_client, "post", "/auth/token/", "/auth/token/", {"handle": "alice", "password": PASSWORD}),
        (api_client, "post", "/auth/token/", "/auth/token/", {"handle": "alice", "password": "nope"}),
        (api_client, "get", "/users/", "/users/", None),
        (as_alice, "get", "/users/", "/users/", None),
        (as_alice, "get", "/users/me/", "/users/me/", None),
        (as_alice, "get", f"/users/{alice.id}/", "/users/{id}/", None),
        (as_alice, "get", "/users/nope/", "/users/{id}/", None),
        (as_alice, "patch", f"/users/{alice.id}/", "/users/{id}/", {"age": 40}),
        (as_bob, "patch", f"/users/{alice.id}/", "/users/{id}/", {"age": 40}),
        (as_alice, "get", f"/users/{alice.id}/interactions/", "/users/{id}/interactions/", None),
        (as_alice, "get", f"/users/{alice.id}/interactions/?venue=x", "/users/{id}/interactions/", None),
        (api_client, "get", "/venues/?near=40.7,-74&radius_km=50", "/venues/", None),
        (api_client, "get", "/venues/?near=x", "/venues/", None),
        (api_client, "get", f"/venues/{venue.id}/", "/venues/{id}/", None),
        (as_staff, "post", "/venues/", "/venues/", {"name": "New", "lat": 1.5, "lng": 2.5, "rating": 4.5}),
        (as_staff, "post", "/venues/", "/venues/", {"name": "New", "lat": 100, "lng": 2.5}),
        (as_alice, "post", "/venues/", "/venues/", {"name": "New", "lat": 1, "lng": 2}),
        (as_staff, "patch", f"/venues/{venue.id}/", "/venues/{id}/", {"rating": 3.5}),
        (
            as_alice,
            "post",
            f"/venues/{venue.id}/interactions/",
            "/venues/{id}/interactions/",
            {"interaction_type": "like"},
        ),
        (as_alice, "post", f"/venues/{venue.id}/interact", "/venues/{id}/interact/", {"interaction_type": "view"}),
        (as_alice, "get", "/social/edges/", "/social/edges/", None),
        (as_alice, "post", "/social/edges/", "/social/edges/", {"other_user_id": str(alice.id)}),
        (as_alice, "get", f"/social/edges/{edge.id}/", "/social/edges/{id}/", None),
        (as_bob, "get", f"/social/edges/{edge.id}/", "/social/edges/{id}/", None),
        (as_alice, "patch", f"/social/edges/{edge.id}/", "/social/edges/{id}/", {"strength": 0.9}),
        (as_alice, "delete", f"/social/edges/{edge.id}/", "/social/edges/{id}/", None),
        (as_staff, "delete", f"/venues/{venue.id}/", "/venues/{id}/", None),
        (as_alice, "delete", "/auth/token/", "/auth/token/", None),
        (as_alice, "delete", f"/users/{alice.id}/", "/users/{id}/", None),
    ]
    for client, method, url, path, body in calls:
        response = getattr(client, method)(url, body, format="json")
        assert_documented(schema, method, path, response)
