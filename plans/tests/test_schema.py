"""What the plan and booking endpoints answer matches what the OpenAPI schema documents."""

from __future__ import annotations

import re
from datetime import timedelta

import jsonschema
import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from plans.models import Booking, Plan
from social.tests.factories import SocialEdgeFactory


def _json_schema(node):
    """OpenAPI 3.0 to JSON Schema: `nullable` becomes an explicit null alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [{"type": "null"}, converted]}
    return converted


@pytest.fixture(scope="module")
def openapi():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = _json_schema(schema["components"])
    operations = []
    for template, methods in schema["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template.rstrip("/")) + "/?$")
        operations.append((pattern, template, methods))
    return components, operations


@pytest.fixture
def check(openapi):
    components, operations = openapi

    def check(method: str, path: str, response) -> None:
        path = path.split("?")[0]
        matches = [(template, methods) for pattern, template, methods in operations if pattern.match(path)]
        assert matches, f"{path} is not documented"
        template, methods = matches[0]
        documented = methods[method]["responses"]
        assert str(response.status_code) in documented, f"{method.upper()} {template} answered {response.status_code}"
        body_schema = documented[str(response.status_code)].get("content", {}).get("application/json", {}).get("schema")
        if body_schema is not None:
            jsonschema.validate(response.json(), {**_json_schema(body_schema), "components": components})

    return check


@pytest.mark.django_db(transaction=True)
def test_every_answer_of_the_plan_flow_matches_the_schema(
    client_for, alice, bob, charlie, staff, venue, check, use_provider
):
    calls = []

    def call(user, method: str, path: str, body=None):
        response = getattr(client_for(user), method)(path, body)
        check(method, path, response)
        calls.append(response.status_code)
        return response

    start = (timezone.now() + timedelta(days=1)).isoformat()
    SocialEdgeFactory(user=bob, other_user=alice)  # bob added alice; charlie did not (403 below)
    plan_id = call(
        alice, "post", "/plans", {"venue_id": str(venue.pk), "start_time": start, "invitee_ids": [str(bob.pk)]}
    ).json()["id"]
    call(alice, "post", "/plans", {"venue_id": "nope"})
    call(None, "get", "/plans")
    call(alice, "get", "/plans?status=pending")
    call(alice, "get", "/plans?status=nope")
    call(charlie, "get", f"/plans/{plan_id}")
    call(alice, "get", f"/plans/{plan_id}/booking")
    call(alice, "post", f"/plans/{plan_id}/confirm")  # nobody accepted yet: 409
    call(alice, "post", f"/plans/{plan_id}/participants", {"invitee_ids": [str(charlie.pk)]})
    call(alice, "post", f"/plans/{plan_id}/participants", {"invitee_ids": ["nope"]})
    call(bob, "post", f"/plans/{plan_id}/respond", {"status": "maybe"})
    call(bob, "post", f"/plans/{plan_id}/respond", {"status": "accepted"})
    use_provider("FailingProvider")
    booking_id = call(alice, "post", f"/plans/{plan_id}/confirm").json()["booking_id"]
    call(alice, "post", f"/plans/{plan_id}/confirm")
    call(bob, "get", f"/plans/{plan_id}")
    call(bob, "get", f"/plans/{plan_id}/booking")
    call(bob, "get", "/bookings?status=failed")
    call(bob, "get", f"/bookings/{booking_id}")
    call(bob, "post", f"/bookings/{booking_id}/retry")
    use_provider("RecordingProvider")
    call(staff, "post", f"/bookings/{booking_id}/retry")
    call(staff, "post", f"/bookings/{booking_id}/retry")
    call(staff, "get", "/bookings/00000000-0000-0000-0000-000000000000")
    call(alice, "post", f"/plans/{plan_id}/cancel")
    call(alice, "post", f"/plans/{plan_id}/confirm")

    assert sorted(set(calls)) == [200, 201, 400, 401, 403, 404, 409]
    assert Plan.objects.get(pk=plan_id).status == Plan.Status.CANCELLED
    assert Booking.objects.get(pk=booking_id).status == Booking.Status.CANCELLED
