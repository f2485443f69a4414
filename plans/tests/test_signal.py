"""The plan-confirmed signal: one booking, one agent run, only after a commit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from plans.models import Booking, Plan
from plans.services import plan_confirm


@pytest.mark.django_db
def test_confirming_registers_one_agent_run_for_after_the_commit(
    agreed_plan, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        booking = plan_confirm(plan=agreed_plan)

    assert len(callbacks) == 1
    assert booking.status == Booking.Status.PENDING
    assert provider.book_calls == 0  # nothing happens before the commit

    callbacks[0]()

    assert provider.booked == [booking.pk]
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.BOOKED


@pytest.mark.django_db(transaction=True)
def test_the_agent_runs_when_the_outer_transaction_commits_not_before(agreed_plan, provider):
    with transaction.atomic():
        booking = plan_confirm(plan=agreed_plan)
        assert provider.book_calls == 0
        assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING

    assert provider.book_calls == 1
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.BOOKED


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_confirmation_leaves_no_booking_and_calls_no_provider(agreed_plan, provider):
    with pytest.raises(RuntimeError), transaction.atomic():
        plan_confirm(plan=agreed_plan)
        raise RuntimeError("something later in the same transaction failed")

    assert not Booking.objects.exists()
    assert Plan.objects.get(pk=agreed_plan.pk).status == Plan.Status.PENDING
    assert provider.book_calls == 0


@pytest.mark.django_db
def test_saving_a_confirmed_plan_again_fires_nothing(agreed_plan, provider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plan_confirm(plan=agreed_plan)
    plan = Plan.objects.get(pk=agreed_plan.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan.save()
        plan.save(update_fields=["status"])
        plan.start_time += timedelta(hours=1)
        plan.save(update_fields=["start_time"])

    assert callbacks == []
    assert Booking.objects.count() == 1
    assert provider.book_calls == 1


@pytest.mark.django_db
def test_a_confirmed_plan_saved_without_the_service_gets_no_booking(
    alice, venue, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Plan.objects.create(organizer=alice, venue=venue, start_time=timezone.now(), status=Plan.Status.CONFIRMED)

    assert callbacks == []
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_loading_a_fixture_with_a_confirmed_plan_fires_nothing(tmp_path, provider, django_capture_on_commit_callbacks):
    user_id, venue_id, plan_id = (
        "5a4c1d3e-0000-4000-8000-000000000001",
        "5a4c1d3e-0000-4000-8000-000000000002",
        "5a4c1d3e-0000-4000-8000-000000000003",
    )
    stamp = "2030-05-01T17:30:00Z"
    fixture = tmp_path / "confirmed_plan.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "users.user",
                    "pk": user_id,
                    "fields": {
                        "handle": "dora",
                        "name": "Dora",
                        "password": "!",
                        "created_at": stamp,
                        "updated_at": stamp,
                    },
                },
                {
                    "model": "venues.venue",
                    "pk": venue_id,
                    "fields": {
                        "name": "Jazz Cellar",
                        "lat": 40.7,
                        "lng": -74.0,
                        "created_at": stamp,
                        "updated_at": stamp,
                    },
                },
                {
                    "model": "plans.plan",
                    "pk": plan_id,
                    "fields": {
                        "organizer": user_id,
                        "venue": venue_id,
                        "start_time": stamp,
                        "status": "confirmed",
                        "created_at": stamp,
                        "updated_at": stamp,
                    },
                },
            ]
        )
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("loaddata", str(fixture), verbosity=0)

    assert Plan.objects.get(pk=plan_id).status == Plan.Status.CONFIRMED
    assert callbacks == []
    assert not Booking.objects.exists()
    assert provider.book_calls == 0


@pytest.mark.django_db
def test_confirming_a_confirmed_plan_that_came_without_a_booking_books_it(
    confirmed_plan, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        booking = plan_confirm(plan=confirmed_plan)

    assert len(callbacks) == 1
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.BOOKED
    assert provider.book_calls == 1


DEMO_FIXTURE = settings.BASE_DIR / "fixtures" / "demo_world.json"


@pytest.mark.skipif(not DEMO_FIXTURE.is_file(), reason="the demo world fixture (fixtures/demo_world.json) is not here")
@pytest.mark.django_db
def test_loading_the_demo_world_fires_nothing(provider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("loaddata", str(DEMO_FIXTURE), verbosity=0)

    assert Plan.objects.exists()
    assert callbacks == []
    assert not Booking.objects.exists()
    assert provider.book_calls == 0
