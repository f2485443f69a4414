"""What a recommendation showed is recorded after the response, under the id the response carries."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.db import DatabaseError
from prometheus_client import REGISTRY

from experiments import impressions
from experiments.models import Impression
from plans.models import PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def venues():
    return VenueFactory.create_batch(6)


def test_a_venue_recommendation_records_each_venue_shown_with_its_rank(client_for, alice, venues):
    body = client_for(alice).get(f"/reco/venues/{alice.pk}/", {"limit": 4}).json()
    ids = {row["recommendation_id"] for row in body}
    assert len(ids) == 1
    recommendation_id = uuid.UUID(ids.pop())
    shown = list(Impression.objects.filter(recommendation_id=recommendation_id).order_by("rank"))
    assert [(row.rank, str(row.venue_id)) for row in shown] == [
        (rank, row["venue_id"]) for rank, row in enumerate(body, 1)
    ]
    assert {(row.user_id, row.ranker, row.model_version, row.plan_id) for row in shown} == {
        (alice.pk, "formula", None, None)
    }
    again = client_for(alice).get(f"/reco/venues/{alice.pk}/", {"limit": 4}).json()
    assert again[0]["recommendation_id"] != str(recommendation_id)
    assert Impression.objects.count() == 8


def test_a_plans_group_suggestions_are_recorded_for_the_one_who_asked(client_for, alice, bob, venues):
    plan = PlanFactory(organizer=alice, venue=venues[0])
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob)
    body = client_for(bob).get(f"/plans/{plan.pk}/venue-suggestions/", {"limit": 3}).json()
    shown = Impression.objects.filter(recommendation_id=body["recommendation_id"]).order_by("rank")
    assert [str(row.venue_id) for row in shown] == [row["venue_id"] for row in body["suggestions"]]
    assert {(row.user_id, row.plan_id) for row in shown} == {(bob.pk, plan.pk)}


def test_people_recommendations_and_empty_answers_record_nothing(client_for, alice, venues):
    client_for(alice).get(f"/reco/people/{alice.pk}/")
    assert client_for(alice).get(f"/reco/venues/{alice.pk}/", {"category": "nowhere"}).json() == []
    assert not Impression.objects.exists()


def test_a_failed_recording_still_serves_the_recommendation_and_is_counted(client_for, alice, venues):
    before = REGISTRY.get_sample_value("luna_impressions_failed_total") or 0
    with mock.patch.object(impressions, "_insert", side_effect=DatabaseError("disk full")):
        response = client_for(alice).get(f"/reco/venues/{alice.pk}/", {"limit": 5})
    assert response.status_code == 200 and len(response.json()) == 5
    assert not Impression.objects.exists()
    assert REGISTRY.get_sample_value("luna_impressions_failed_total") == before + 5
