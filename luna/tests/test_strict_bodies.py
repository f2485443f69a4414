"""Every write operation in the OpenAPI schema refuses a body field it does not know, and one that takes
no body refuses any; either way it stores nothing."""

from __future__ import annotations

import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator

from luna.tests.endpoints import ids_by_prefix
from plans.models import Plan
from plans.tests.factories import PlanFactory

UNKNOWN = "surely_not_a_field"


def write_operations(*, with_body: bool) -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"post", "put", "patch", "delete"} and ("requestBody" in operation) == with_body
    )


OPERATIONS = write_operations(with_body=True)
BODYLESS_OPERATIONS = write_operations(with_body=False)


def test_the_walk_covers_the_write_operations_of_every_app():
    prefixes = {path.split("/")[1] for _, path in OPERATIONS}
    assert {"users", "auth", "venues", "social", "plans"} <= prefixes


def test_the_walk_covers_the_writes_that_take_no_body():
    assert {
        ("post", "/plans/{id}/confirm/"),
        ("post", "/plans/{id}/cancel/"),
        ("post", "/bookings/{id}/retry/"),
        ("delete", "/auth/token/"),
        ("delete", "/venues/{id}/"),
    } <= set(BODYLESS_OPERATIONS)


def rows() -> dict[str, list]:
    """Every row of every table, to tell that a request changed nothing (not even a status)."""
    return {
        model._meta.label: sorted(map(repr, model.objects.values()))
        for model in apps.get_models()
        if model._meta.app_label != "sessions"
    }


def url_and_caller(path: str, alice, bob, staff) -> tuple[str, object]:
    """The path with ids of a small world filled in (alice's pending plan, bob invited, a failed
    booking), and the one person the operation is for."""
    ids = ids_by_prefix(alice, bob)
    url = path.replace("{id}", str(ids[path.split("/")[1]])) if "{id}" in path else path
    # The one person each operation is for: the invitee answers, the organizer acts on their own plan.
    caller = bob if path.endswith("/respond/") else alice if path.startswith(("/plans/", "/auth/")) else staff
    return url, caller


@pytest.mark.django_db
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{method}-{path}" for method, path in OPERATIONS])
def test_an_unknown_body_field_is_a_400_naming_it(client_for, alice, bob, staff, method, path):
    url, caller = url_and_caller(path, alice, bob, staff)
    before = rows()

    response = getattr(client_for(caller), method)(url, {UNKNOWN: 1}, format="json")

    assert response.status_code == 400, (response.status_code, response.content)
    assert UNKNOWN in response.json()
    assert rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path", BODYLESS_OPERATIONS, ids=[f"{method}-{path}" for method, path in BODYLESS_OPERATIONS]
)
def test_a_write_that_takes_no_body_refuses_one_with_a_400_naming_it(client_for, alice, bob, staff, method, path):
    url, caller = url_and_caller(path, alice, bob, staff)
    before = rows()

    response = getattr(client_for(caller), method)(url, {"status": "pending"}, format="json")

    assert response.status_code == 400, (response.status_code, response.content)
    assert response.json() == {"status": ["This request takes no body; nothing can be set with it."]}
    assert rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize("body", [[], "cancel", 0])
def test_a_body_that_is_not_even_an_object_is_refused_too(client_for, alice, body):
    plan = PlanFactory(organizer=alice)

    response = client_for(alice).post(f"/plans/{plan.pk}/cancel/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("body", [None, {}])
def test_no_body_or_an_empty_object_is_no_body(client_for, alice, body):
    plan = PlanFactory(organizer=alice)

    response = client_for(alice).post(f"/plans/{plan.pk}/cancel/", body, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


@pytest.mark.django_db
def test_a_delete_that_nothing_answers_stays_a_405_with_a_body(client_for, alice):
    plan = PlanFactory(organizer=alice)

    assert client_for(alice).delete(f"/plans/{plan.pk}/", {"status": "pending"}, format="json").status_code == 405
