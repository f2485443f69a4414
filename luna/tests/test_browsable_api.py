"""DRF's browsable API for people in a browser; JSON stays what clients get."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from luna.tests.endpoints import ids_by_prefix
from venues.tests.factories import VenueFactory

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.django_db
def test_a_browser_gets_the_browsable_api_and_a_client_gets_json(client, staff):
    VenueFactory(name="Blue Note")
    client.force_login(staff)
    page = client.get("/venues/", HTTP_ACCEPT=BROWSER)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "Blue Note" in page.content.decode() and "Django REST framework" in page.content.decode()
    assert client.get("/venues/", {"format": "api"})["Content-Type"].startswith("text/html")
    for accept in ("*/*", "application/json", None):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        answer = client.get("/venues/", **headers)
        assert answer["Content-Type"] == "application/json", accept
        assert answer.json()["results"][0]["name"] == "Blue Note"


@pytest.mark.django_db
def test_errors_stay_json_for_clients(client):
    response = client.get("/users/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401 and response["Content-Type"] == "application/json"


def api_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "patch", "delete"}
    )


OPERATIONS = api_operations()


def test_the_walk_covers_the_endpoints_of_every_app():
    prefixes = {path.split("/")[1] for _, path in OPERATIONS}
    assert {"users", "auth", "venues", "social", "plans", "bookings", "reco", "health"} <= prefixes


@pytest.mark.django_db
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{method}-{path}" for method, path in OPERATIONS])
def test_every_endpoint_answers_a_browser_with_a_page_not_a_500(client, alice, bob, staff, method, path):
    ids = ids_by_prefix(alice, bob)
    url = re.sub(r"\{\w+\}", str(ids.get(path.split("/")[1], "")), path)
    # Someone allowed to use each: the invitee answers, alice acts on her own plan, data and edges, staff the rest.
    if path.endswith("/respond/"):
        caller = bob
    elif path.split("/")[1] in {"plans", "reco", "social"} and method != "delete":
        caller = alice
    else:
        caller = staff
    client.force_login(caller)

    response = getattr(client, method)(url, HTTP_ACCEPT=BROWSER)

    assert response.status_code < 500, (response.status_code, response.content[-2000:])
    if response.status_code != 204:
        assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
