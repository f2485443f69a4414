"""A query parameter given empty, or a number not written in ASCII digits (a fraction for a whole
number), is a 400 naming it, not ignored or guessed (luna.api.query)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from drf_spectacular.generators import SchemaGenerator

from plans.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, parameter",
    [
        ("/venues/?max_price_level=2.5", "max_price_level"),
        ("/venues/?max_price_level=", "max_price_level"),
        ("/plans/?status=", "status"),
        ("/bookings/?status=", "status"),
        ("/reco/people/{alice}/?venue_id=", "venue_id"),
        ("/reco/venues/{alice}/?limit=", "limit"),
        ("/reco/venues/{alice}/?max_price_level=2.5", "max_price_level"),
        ("/social/edges/?user=", "user"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(client_for, alice, path, parameter):
    response = client_for(alice).get(path.format(alice=alice.pk))
    assert response.status_code == 400, response.content
    assert parameter in response.json()


def test_the_same_filters_with_real_values_answer_200(client_for, alice):
    for path in ("/venues/?max_price_level=2", "/plans/?status=pending", "/bookings/?status=booked"):
        assert client_for(alice).get(path).status_code == 200


# --- every query parameter the schema lists, on every list endpoint ----------------------------


@pytest.fixture
def query_parameters() -> list[tuple[str, str, dict]]:
    """(path template, parameter name, its schema) for every query parameter of every GET in the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, parameter["name"], parameter["schema"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method == "get"
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]


@pytest.fixture
def as_staff_with_a_plan(client_for, staff):
    """Staff may read every list, so every refusal below is about the parameter, not who asks."""
    plan = PlanFactory(organizer=staff)
    ids = {"id": staff.pk, "user_id": staff.pk, "plan_id": plan.pk}
    return client_for(staff), lambda path: path.format(**ids)


def _not_refused(client, url: str, parameter: str) -> bool:
    response = client.get(url)
    return response.status_code != 400 or parameter not in response.json()


def test_every_query_parameter_of_every_list_given_empty_is_a_400_naming_it(query_parameters, as_staff_with_a_plan):
    client, fill = as_staff_with_a_plan
    assert len(query_parameters) >= 30
    accepted = [
        f"{path}?{name}=" for path, name, _ in query_parameters if _not_refused(client, f"{fill(path)}?{name}=", name)
    ]
    assert accepted == []


def test_every_number_in_a_query_is_ascii_digits_only(query_parameters, as_staff_with_a_plan):
    client, fill = as_staff_with_a_plan
    numbers = [(path, name) for path, name, schema in query_parameters if schema.get("type") in {"integer", "number"}]
    assert len(numbers) >= 15
    spellings = ["\uff12", " 2", "2 ", "+2", "2_0", "0x2"]
    accepted = [
        f"{path}?{name}={spelling!r}"
        for path, name in numbers
        for spelling in spellings
        if _not_refused(client, f"{fill(path)}?{name}={quote(spelling)}", name)
    ]
    assert accepted == []


def test_a_whole_number_parameter_refuses_a_decimal_point(query_parameters, as_staff_with_a_plan):
    client, fill = as_staff_with_a_plan
    wholes = [(path, name) for path, name, schema in query_parameters if schema.get("type") == "integer"]
    accepted = [f"{path}?{name}=2.0" for path, name in wholes if _not_refused(client, f"{fill(path)}?{name}=2.0", name)]
    assert accepted == []


@pytest.mark.parametrize(
    "path",
    [
        "/venues/?category=",
        "/venues/?category=bar&category=",
        "/venues/?search=",
        "/venues/?search=%20",
        "/users/?search=",
        "/venues/?limit=%205",
        "/venues/?limit=5.0",
        "/venues/?max_price_level=%EF%BC%92",
        "/venues/?min_rating=4,5",
    ],
)
def test_the_filters_that_used_to_be_lenient_are_a_400_naming_the_parameter(client_for, alice, path):
    response = client_for(alice).get(path)
    assert response.status_code == 400
    assert path.split("?")[1].split("=")[0] in response.json()


def test_the_same_numbers_in_ascii_digits_answer_200(client_for, alice):
    for path in ("/venues/?max_price_level=2&min_rating=4.5&limit=5", f"/reco/venues/{alice.pk}/?limit=5"):
        assert client_for(alice).get(path).status_code == 200, path
