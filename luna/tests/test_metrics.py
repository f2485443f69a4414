"""GET /metrics: Prometheus metrics for staff or a bearer token, with what an operator needs."""

from __future__ import annotations

import pytest

from plans.models import PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


def sample(body: str, name: str, **labels) -> float:
    """The value of one sample of the exposition text (0 when it is not there)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    for line in body.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_are_for_staff_or_the_bearer_token(client, client_for, alice, staff, settings):
    assert client.get("/metrics").status_code == 403
    assert client_for(alice).get("/metrics").status_code == 403
    client.force_login(staff)
    assert client.get("/metrics").status_code == 200
    client.logout()
    settings.LUNA_METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert "LUNA_METRICS_TOKEN" in client.get("/metrics").json()["detail"]


def test_requests_recommendations_bookings_and_the_catalogue_are_counted(
    client, client_for, alice, bob, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_BROKER_URL = ""
    settings.LUNA_METRICS_TOKEN = "t"
    VenueFactory()

    def scrape() -> str:
        return client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()

    before = scrape()
    assert client_for(alice).get(f"/reco/venues/{alice.pk}/", {"limit": 3}).status_code == 200
    plan = PlanFactory(organizer=alice)
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob, status=PlanParticipant.Status.ACCEPTED)
    with django_capture_on_commit_callbacks(execute=True):  # the booking agent runs after the commit
        assert client_for(alice).post(f"/plans/{plan.pk}/confirm/").status_code == 200
    after = scrape()

    route = {"method": "GET", "route": "reco/venues/{user_id}/", "status": "2xx"}
    assert (
        sample(after, "luna_request_seconds_count", **route)
        == sample(before, "luna_request_seconds_count", **route) + 1
    )
    ranked = {"kind": "venues", "ranker": "formula"}
    assert sample(after, "luna_recommendation_seconds_count", **ranked) > sample(
        before, "luna_recommendation_seconds_count", **ranked
    )
    assert sample(after, "luna_recommendation_results_total", **ranked) >= 1
    assert (
        sample(after, "luna_bookings_total", outcome="booked")
        == sample(before, "luna_bookings_total", outcome="booked") + 1
    )
    assert sample(after, "luna_catalogue_loads_total") >= 1
    assert "luna_ranker_model_version" in after


def test_made_up_methods_are_counted_as_other_instead_of_a_series_each(client, settings):
    settings.LUNA_METRICS_TOKEN = "t"
    for method in ("BREW", "MALLORY1", "MALLORY2"):
        client.generic(method, "/health/")
    body = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert 'method="BREW"' not in body and 'method="MALLORY1"' not in body
    other = {"method": "other", "route": "health/", "status": "4xx"}
    assert sample(body, "luna_request_seconds_count", **other) >= 3
