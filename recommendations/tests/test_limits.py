"""What one account may ask of the recommendation endpoints, and what it may have recorded in a day."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from experiments import impressions
from experiments.models import Impression
from luna.tests.caches import cache_down, with_rates
from plans.models import PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def venues():
    """Ten venues within a few hundred metres of the factory users' home."""
    return [VenueFactory(lat=40.7306 + 0.001 * i, lng=-73.9352 - 0.001 * i) for i in range(10)]


@pytest.fixture
def recommendations_rate(settings):
    """Set the per-user rate of the recommendation endpoints."""

    def set_rate(rate: str) -> None:
        with_rates(settings, recommendations=rate)

    return set_rate


@pytest.fixture
def plan(alice, bob, venues):
    plan = PlanFactory(organizer=alice, venue=venues[0])
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob, status=PlanParticipant.Status.ACCEPTED)
    return plan


def paths(alice, plan) -> dict[str, str]:
    return {
        "venues": f"/reco/venues/{alice.pk}/",
        "people": f"/reco/people/{alice.pk}/",
        "plan venues": f"/plans/{plan.pk}/venue-suggestions/",
        "plan people": f"/plans/{plan.pk}/people-suggestions/",
    }


def test_the_default_rate_is_generous_for_people(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["recommendations"] == "60/minute"


@pytest.mark.parametrize("endpoint", ["venues", "people", "plan venues", "plan people"])
def test_it_throttles_one_user_asking_too_often(client_for, alice, plan, recommendations_rate, endpoint):
    recommendations_rate("3/minute")
    client = client_for(alice)
    path = paths(alice, plan)[endpoint]
    statuses = [client.get(path, {"limit": 1}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = client.get(path, {"limit": 1})
    assert refused.status_code == 429
    assert "detail" in refused.json()


def test_the_endpoints_share_one_budget_per_user(client_for, alice, plan, recommendations_rate):
    recommendations_rate("4/minute")
    client = client_for(alice)
    statuses = [client.get(path, {"limit": 1}).status_code for path in paths(alice, plan).values()]
    assert statuses == [200, 200, 200, 200]
    assert client.get(f"/reco/venues/{alice.pk}/").status_code == 429


def test_a_throttled_answer_records_no_impressions(client_for, alice, venues, recommendations_rate):
    recommendations_rate("2/minute")
    client = client_for(alice)
    assert [client.get(f"/reco/venues/{alice.pk}/", {"limit": 5}).status_code for _ in range(3)] == [200, 200, 429]
    assert Impression.objects.filter(user=alice).count() == 10


def test_the_throttle_counts_per_user_not_per_address(client_for, alice, bob, venues, recommendations_rate):
    # alice and bob come from the same address (the test client's): bob is not held back by alice.
    recommendations_rate("2/minute")
    alices, bobs = client_for(alice), client_for(bob)
    assert [alices.get(f"/reco/venues/{alice.pk}/").status_code for _ in range(3)] == [200, 200, 429]
    assert [bobs.get(f"/reco/venues/{bob.pk}/").status_code for _ in range(2)] == [200, 200]


def test_staff_reading_someone_elses_recommendations_are_not_throttled(client_for, alice, venues, recommendations_rate):
    # A preview or an evaluation: nothing is recorded for alice, and alice's own budget is untouched.
    recommendations_rate("2/minute")
    boss = UserFactory(handle="boss", is_staff=True)
    staff = client_for(boss)
    assert {staff.get(f"/reco/venues/{alice.pk}/").status_code for _ in range(5)} == {200}
    assert not Impression.objects.exists()
    assert [staff.get(f"/reco/venues/{boss.pk}/").status_code for _ in range(3)] == [200, 200, 429]
    assert client_for(alice).get(f"/reco/venues/{alice.pk}/").status_code == 200


def test_staff_asking_for_their_own_list_in_another_spelling_of_their_id_are_throttled(
    client_for, venues, recommendations_rate
):
    """Their own list is recorded as anyone's, so it counts as anyone's, however the id is spelled."""
    recommendations_rate("2/minute")
    boss = UserFactory(handle="boss", is_staff=True)
    staff = client_for(boss)
    spellings = [str(boss.pk).upper(), boss.pk.hex, str(boss.pk)]
    assert [staff.get(f"/reco/venues/{spelling}/").status_code for spelling in spellings] == [200, 200, 429]


# --- impressions stored per user per day ----------------------------------------------------------------


def test_impressions_stored_for_one_user_stop_at_the_daily_bound(client_for, alice, bob, venues, settings):
    settings.LUNA_IMPRESSIONS_PER_USER_PER_DAY = 12
    before = REGISTRY.get_sample_value("luna_impressions_over_daily_bound_total") or 0
    client = client_for(alice)
    answers = [client.get(f"/reco/venues/{alice.pk}/", {"limit": 5}) for _ in range(4)]
    # Every answer is served in full; what is stored stops at 12: two answers, then ranks 1-2 of the third.
    assert [(response.status_code, len(response.json())) for response in answers] == [(200, 5)] * 4
    stored = Impression.objects.filter(user=alice)
    assert stored.count() == 12
    third = answers[2].json()[0]["recommendation_id"]
    assert sorted(stored.filter(recommendation_id=third).values_list("rank", flat=True)) == [1, 2]
    assert not stored.filter(recommendation_id=answers[3].json()[0]["recommendation_id"]).exists()
    assert REGISTRY.get_sample_value("luna_impressions_over_daily_bound_total") == before + 8
    # bob has a bound of his own.
    client_for(bob).get(f"/reco/venues/{bob.pk}/", {"limit": 5})
    assert Impression.objects.filter(user=bob).count() == 5


def test_the_daily_bound_counts_a_plans_group_suggestions_too(client_for, alice, plan, settings):
    settings.LUNA_IMPRESSIONS_PER_USER_PER_DAY = 7
    client = client_for(alice)
    client.get(f"/reco/venues/{alice.pk}/", {"limit": 5})
    client.get(f"/plans/{plan.pk}/venue-suggestions/", {"limit": 5, "ranker": "formula"})
    assert Impression.objects.filter(user=alice).count() == 7


def test_a_new_day_starts_a_new_count(client_for, alice, venues, settings):
    settings.LUNA_IMPRESSIONS_PER_USER_PER_DAY = 5
    client = client_for(alice)
    client.get(f"/reco/venues/{alice.pk}/", {"limit": 5})
    client.get(f"/reco/venues/{alice.pk}/", {"limit": 5})
    assert Impression.objects.count() == 5
    tomorrow = timezone.now() + timedelta(days=1)
    with mock.patch.object(impressions.timezone, "now", return_value=tomorrow):
        client.get(f"/reco/venues/{alice.pk}/", {"limit": 5})
    assert Impression.objects.count() == 10


def test_with_the_cache_down_impressions_are_still_recorded(client_for, alice, venues, settings):
    settings.LUNA_IMPRESSIONS_PER_USER_PER_DAY = 3
    with cache_down:
        response = client_for(alice).get(f"/reco/venues/{alice.pk}/", {"limit": 5})
    assert response.status_code == 200
    assert Impression.objects.count() == 5  # a bound missed for a while beats the experiment's data lost
