"""Behaviour shared by every endpoint: health, JSON errors, trailing slashes, 404s for bad ids."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from social.tests.factories import SocialEdgeFactory
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


class _UnreachableDatabase:
    def cursor(self):
        raise OperationalError("could not connect to server: Connection refused")


@pytest.mark.parametrize("path", ["/health/", "/health"])
def test_health_reports_a_reachable_database(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "service": "Luna API Service", "database": "ok"}


def test_health_needs_no_credentials_even_when_a_bad_token_is_sent(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/health/").status_code == 200


def test_health_is_503_when_the_database_is_unreachable(api_client, monkeypatch):
    monkeypatch.setattr("luna.api.views.connection", _UnreachableDatabase())
    response = api_client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "service": "Luna API Service", "database": "unavailable"}


def test_any_endpoint_answers_503_json_when_the_database_goes_away(api_client, monkeypatch):
    def unreachable():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("venues.views.venue_list", unreachable)
    response = api_client.get("/venues/")
    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; try again shortly."}


@pytest.mark.parametrize("path", ["/nowhere/", "/users/x/y/z/", "/venues/abc/nope/"])
def test_unknown_routes_are_a_json_404(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.fixture
def world(alice, bob):
    venue = VenueFactory()
    edge = SocialEdgeFactory(user=alice, other_user=bob)
    return {"alice": alice.id, "venue": venue.id, "edge": edge.id}


GET_PATHS = [
    "/users",
    "/users/me",
    "/users/{alice}",
    "/users/{alice}/interactions",
    "/venues",
    "/venues/{venue}",
    "/social/edges",
    "/social/edges/{edge}",
    "/schema",
    "/health",
]


@pytest.mark.parametrize("slash", ["", "/"], ids=["without-slash", "with-slash"])
@pytest.mark.parametrize("path", GET_PATHS)
def test_every_path_works_with_and_without_the_trailing_slash(client_for, staff, world, path, slash):
    response = client_for(staff).get(path.format(**world) + slash)
    assert response.status_code == 200


@pytest.mark.parametrize("slash", ["", "/"], ids=["without-slash", "with-slash"])
def test_posts_work_with_and_without_the_trailing_slash(client_for, api_client, alice, bob, slash):
    venue = VenueFactory()
    signup = {"handle": f"d{len(slash)}ana", "name": "D", "password": "a long passphrase"}
    assert api_client.post("/users" + slash, signup, format="json").status_code == 201
    client = client_for(alice)
    assert (
        client.post(f"/venues/{venue.id}/interactions{slash}", {"interaction_type": "view"}, format="json").status_code
        == 201
    )
    assert client.post("/social/edges" + slash, {"other_user_id": str(bob.id)}, format="json").status_code == 201


KINDS = {"users": "user", "venues": "venue", "social": "social edge", "plans": "plan", "bookings": "booking"}
# A well-formed id that names nothing; fixed, so that every xdist worker collects the same test ids.
UNKNOWN_UUID = "3f2b8c1e-4d5a-4e6f-9a7b-0c1d2e3f4a5b"
BAD_IDS = ["not-a-uuid", "12345", UNKNOWN_UUID, "%20", "0x1f", "0.5", "me.json"]
ID_PATHS = [
    ("get", "/users/{id}/"),
    ("patch", "/users/{id}/"),
    ("delete", "/users/{id}/"),
    ("get", "/users/{id}/interactions/"),
    ("get", "/venues/{id}/"),
    ("patch", "/venues/{id}/"),
    ("delete", "/venues/{id}/"),
    ("post", "/venues/{id}/interactions/"),
    ("post", "/venues/{id}/interact"),
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize("method, path", ID_PATHS)
def test_malformed_or_unknown_ids_in_paths_are_a_json_404(client_for, staff, method, path, bad_id):
    body = {"interaction_type": "view", "name": "x"} if method in ("post", "patch") else None
    response = getattr(client_for(staff), method)(path.format(id=bad_id), body, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": f"No {KINDS[path.split('/')[1]]} with this id."}


def test_an_unsupported_method_is_a_json_405(client_for, staff, world):
    response = client_for(staff).put(f"/venues/{world['venue']}/", {"name": "x"}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_anonymous_requests_get_a_401_with_the_token_scheme(api_client):
    response = api_client.get("/users/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path", ["/users/", "/users/{alice}/", "/venues/{venue}/", "/social/edges/{edge}/"])
@pytest.mark.parametrize("method", ["TRACE", "PUT"])
def test_an_undeclared_method_is_a_405_for_anyone(client_for, api_client, alice, world, path, method):
    for client in (api_client, client_for(alice)):
        response = client.generic(method, path.format(**world), "{}", content_type="application/json")
        assert response.status_code == 405


def test_a_body_over_the_upload_limit_is_a_json_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"handle": "dana", "name": "' + "x" * 2000 + '"}'
    response = api_client.generic("POST", "/users/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


@pytest.mark.parametrize("path", ["/venues/", "/users/"])
@pytest.mark.parametrize("search", ["%00", "a%00b"])
def test_a_nul_character_in_search_is_a_400_naming_the_parameter(client_for, alice, path, search):
    response = client_for(alice).get(f"{path}?search={search}")
    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}


def test_a_nul_character_in_a_category_never_reaches_the_database(api_client):
    VenueFactory(category="bar")
    response = api_client.get("/venues/?category=%00bar")
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("path", ["/venues/", "/users/", "/social/edges/"])
def test_too_many_query_parameters_is_a_json_400(client_for, alice, settings, path):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    query = "&".join(f"category=c{number}" for number in range(101))
    response = client_for(alice).get(f"{path}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Too many query parameters."}


def test_too_many_query_parameters_is_a_400_with_debug_pages_on(api_client, settings):
    settings.DEBUG = True  # Django's debug page reads the query string again and failed with a 500
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = api_client.get("/venues/?" + "&".join(f"category=c{number}" for number in range(11)))
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/venues/", "/users/"])
def test_a_search_of_too_many_words_is_a_400_naming_the_parameter(client_for, alice, path):
    words = "+".join(f"w{number}" for number in range(1500))
    response = client_for(alice).get(f"{path}?search={words}")
    assert response.status_code == 400
    assert response.json() == {"search": ["Give at most 10 words."]}
    ten = "+".join(["a"] * 10)
    assert client_for(alice).get(f"{path}?search={ten}").status_code == 200


@pytest.mark.parametrize("path", ["/users/a.b/", "/venues/a.b/", "/social/edges/a.b/", "/plans/a.b/", "/bookings/a.b/"])
def test_an_id_with_a_dot_reaches_the_view_and_is_a_json_404_even_with_debug_pages(client_for, staff, settings, path):
    settings.DEBUG = True  # the URL resolver's own 404 would be an HTML page here
    response = client_for(staff).get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": f"No {KINDS[path.split('/')[1]]} with this id."}


@pytest.mark.parametrize("bad_id", ["not-a-uuid", UNKNOWN_UUID], ids=["malformed", "unknown"])
@pytest.mark.parametrize("suffix", ["", "venue-suggestions/", "people-suggestions/"])
def test_a_malformed_and_an_unknown_plan_id_say_the_same(client_for, alice, bad_id, suffix):
    response = client_for(alice).get(f"/plans/{bad_id}/{suffix}")
    assert response.status_code == 404
    assert response.json() == {"detail": "No plan with this id."}
