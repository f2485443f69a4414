"""DRF's browsable API for people in a browser; JSON stays what clients get."""

from __future__ import annotations

import pytest

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
