"""Every write operation in the OpenAPI schema refuses a body field it does not know, and stores nothing."""

from __future__ import annotations

import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator

from plans.models import PlanParticipant
from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory
from social.tests.factories import SocialEdgeFactory
from venues.tests.factories import VenueFactory

UNKNOWN = "surely_not_a_field"


def write_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"post", "put", "patch"} and "requestBody" in operation
    )


OPERATIONS = write_operations()


def test_the_walk_covers_the_write_operations_of_every_app():
    prefixes = {path.split("/")[1] for _, path in OPERATIONS}
    assert {"users", "auth", "venues", "social", "plans"} <= prefixes


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.app_label != "sessions"
    }


@pytest.mark.django_db
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{method}-{path}" for method, path in OPERATIONS])
def test_an_unknown_body_field_is_a_400_naming_it(client_for, alice, bob, staff, method, path):
    venue = VenueFactory()
    plan = PlanFactory(organizer=alice, venue=venue)
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob)
    ids = {
        "users": alice.pk,
        "venues": venue.pk,
        "social": SocialEdgeFactory(user=alice, other_user=bob).pk,
        "plans": plan.pk,
        "bookings": BookingFactory().pk,
    }
    url = path.replace("{id}", str(ids[path.split("/")[1]])) if "{id}" in path else path
    # The one person each operation is for: the invitee answers, the organizer acts on their own plan.
    caller = bob if path.endswith("/respond/") else alice if path.startswith("/plans/") else staff
    before = row_counts()

    response = getattr(client_for(caller), method)(url, {UNKNOWN: 1}, format="json")

    assert response.status_code == 400, (response.status_code, response.content)
    assert UNKNOWN in response.json()
    assert row_counts() == before
