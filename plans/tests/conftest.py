from __future__ import annotations

import pytest

from plans.models import Booking, Plan, PlanParticipant
from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory
from plans.tests.providers import RECORD
from venues.tests.factories import VenueFactory


@pytest.fixture(autouse=True)
def _agent_inline(settings):
    # Tests run the booking agent in-process unless they start a worker themselves,
    # whatever CELERY_BROKER_URL the environment has.
    settings.CELERY_BROKER_URL = ""


@pytest.fixture
def venue(db):
    return VenueFactory(name="Blue Note", category="music")


@pytest.fixture
def plan(alice, bob, venue):
    """alice's pending plan at the Blue Note tomorrow; bob is invited and has not answered."""
    plan = PlanFactory(organizer=alice, venue=venue)
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob, status=PlanParticipant.Status.INVITED)
    return plan


@pytest.fixture
def agreed_plan(plan, bob):
    """alice's plan after bob accepted: ready to confirm."""
    plan.participants.filter(user=bob).update(status=PlanParticipant.Status.ACCEPTED)
    return plan


@pytest.fixture
def confirmed_plan(agreed_plan):
    """The agreed plan confirmed in the database without a booking, as a fixture load leaves it.

    A queryset update sends no post_save, so the plan-confirmed receiver opens no booking and
    no agent runs; the plan (the same object as agreed_plan) is returned refreshed.
    """
    Plan.objects.filter(pk=agreed_plan.pk).update(status=Plan.Status.CONFIRMED)
    agreed_plan.refresh_from_db()
    return agreed_plan


@pytest.fixture
def booked_plan(confirmed_plan):
    """The confirmed plan with its booking made at the provider (mock-1, after one attempt)."""
    BookingFactory(plan=confirmed_plan, status=Booking.Status.BOOKED, external_ref="mock-1", attempts=1)
    return Plan.objects.get(pk=confirmed_plan.pk)


@pytest.fixture
def use_provider(settings):
    """Switch the booking provider to one of plans.tests.providers; returns the shared call record."""
    RECORD.reset()

    def use(name: str):
        settings.LUNA_BOOKING_PROVIDER = f"plans.tests.providers.{name}"
        return RECORD

    yield use
    RECORD.release.set()  # lets a hanging provider's thread finish


@pytest.fixture
def provider(use_provider):
    """A provider that books everything and counts its calls."""
    return use_provider("RecordingProvider")
