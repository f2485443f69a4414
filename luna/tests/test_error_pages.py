"""Errors outside any endpoint (an unknown path, a crash) answer JSON to API clients and HTML to browsers."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from luna.api import views

pytestmark = pytest.mark.django_db

API_CLIENTS = {"json": "application/json", "anything": "*/*", "no Accept": None}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def get(path: str, accept: str | None):
    headers = {} if accept is None else {"accept": accept}
    return Client().get(path, headers=headers)


# A 404 answers the same with DEBUG on (where Django would list the URLs) and off.
in_debug_and_production = pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])


def not_found(settings, debug: bool, path: str, accept: str | None):
    """The answer to GET `path` with DEBUG `debug`, checked to be a 404."""
    settings.DEBUG = debug
    response = get(path, accept)
    assert response.status_code == 404
    return response


@in_debug_and_production
@pytest.mark.parametrize("accept", list(API_CLIENTS.values()), ids=list(API_CLIENTS))
@pytest.mark.parametrize("path", ["/nowhere/", "/venuez", "/plans/1/2/3/", "/reco/"])
def test_an_unknown_path_is_a_json_404_for_an_api_client_never_the_url_list(settings, debug, accept, path):
    response = not_found(settings, debug, path, accept)
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@in_debug_and_production
def test_an_unknown_path_under_the_api_is_json_even_for_a_browser(settings, debug):
    assert not_found(settings, debug, "/venues/1/2/3/", BROWSER).json() == {"detail": "Not found."}


@in_debug_and_production
def test_a_browser_gets_an_html_404_page_outside_the_api(settings, debug):
    assert not_found(settings, debug, "/nowhere/", BROWSER)["Content-Type"].startswith("text/html")


def test_the_admin_still_redirects_to_its_trailing_slash(settings):
    assert get("/admin", BROWSER).status_code == 301


@pytest.mark.parametrize(
    "handler, status",
    [(views.bad_request, 400), (views.permission_denied, 403), (views.server_error, 500)],
    ids=["400", "403", "500"],
)
def test_the_other_error_handlers_answer_json_to_api_clients_and_html_to_browsers(handler, status):
    for accept, json_expected in (("application/json", True), ("*/*", True), (None, True), (BROWSER, False)):
        request = RequestFactory().get("/nowhere/", **({} if accept is None else {"HTTP_ACCEPT": accept}))
        response = handler(request) if handler is views.server_error else handler(request, Exception())
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json" if json_expected else "text/html"), accept


@in_debug_and_production
@pytest.mark.parametrize(
    "accept",
    ["application/json, text/html;q=0.1", "text/html;q=0.5, application/json", "text/html;q=0, */*"],
    ids=["json preferred", "json at a higher weight", "html refused"],
)
def test_a_client_that_prefers_json_to_html_gets_a_json_404(settings, debug, accept):
    assert not_found(settings, debug, "/nowhere/", accept).json() == {"detail": "Not found."}


@pytest.mark.parametrize("accept", list(API_CLIENTS.values()), ids=list(API_CLIENTS))
def test_a_request_the_csrf_check_refuses_is_a_json_403_for_an_api_client(accept):
    client = Client(enforce_csrf_checks=True)
    headers = {} if accept is None else {"accept": accept}
    response = client.post("/admin/login/", {"username": "x", "password": "y"}, headers=headers)
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}


def test_a_browser_refused_by_the_csrf_check_gets_djangos_page():
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {}, headers={"accept": BROWSER})
    assert response.status_code == 403
    assert "CSRF verification failed" in response.content.decode()


@pytest.mark.parametrize("accept", list(API_CLIENTS.values()), ids=list(API_CLIENTS))
def test_a_method_a_page_does_not_take_is_a_json_405_for_an_api_client(accept):
    response = get("/admin/data/demo/", accept)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


def test_a_browser_gets_djangos_405_outside_the_api():
    response = get("/admin/data/demo/", BROWSER)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response["Content-Type"].startswith("text/html")
