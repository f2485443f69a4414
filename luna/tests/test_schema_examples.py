"""The OpenAPI schema shows realistic examples, true to the schema, and Swagger UI's Authorize dialog
asks for the token only (the admin's session still signs in, without a box of its own)."""

from __future__ import annotations

import copy

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from luna.tests.test_schema import _as_json_schema


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def examples_of(schema: dict):
    """(operation, where, example value, the schema it must match) for every example in the schema."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            bodies = [("request", operation.get("requestBody", {}).get("content", {}))]
            bodies += [(code, response.get("content", {})) for code, response in operation["responses"].items()]
            for where, content in bodies:
                media = content.get("application/json", {})
                for example in media.get("examples", {}).values():
                    yield name, where, example["value"], media["schema"]


def test_at_least_20_operations_have_realistic_examples(schema):
    operations = {name for name, _, _, _ in examples_of(schema)}
    assert len(operations) >= 20, sorted(operations)
    for must in ("POST /users/", "POST /auth/token/", "GET /venues/", "POST /plans/", "GET /reco/venues/{user_id}/"):
        assert must in operations


def test_every_example_matches_the_schema_it_illustrates(schema):
    checked = 0
    for name, where, value, body_schema in examples_of(schema):
        resolvable = _as_json_schema({**body_schema, "components": copy.deepcopy(schema["components"])})
        try:
            jsonschema.validate(value, resolvable)
        except jsonschema.ValidationError as error:
            pytest.fail(f"{name} ({where}): {error.message}")
        checked += 1
    assert checked >= 30


def test_authorize_asks_for_the_token_only(schema):
    assert list(schema["components"]["securitySchemes"]) == ["tokenAuth"]
    schemes = {
        scheme
        for operations in schema["paths"].values()
        for operation in operations.values()
        for requirement in operation.get("security", [])
        for scheme in requirement
    }
    assert schemes == {"tokenAuth"}


@pytest.mark.django_db
def test_the_admins_session_still_signs_in_to_the_api(client, staff):
    client.force_login(staff)
    assert client.get("/users/me/", HTTP_ACCEPT="application/json").json()["handle"] == staff.handle
