from __future__ import annotations

import pytest

from plans.models import PlanParticipant
from plans.tests.factories import PlanFactory, PlanParticipantFactory
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
