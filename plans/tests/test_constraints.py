"""The database itself refuses plans, participants and bookings that break the design's rules."""

from __future__ import annotations

import pytest

from luna.tests.database import refused
from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_duplicate_participant():
    participant = PlanParticipantFactory()
    assert refused(lambda: PlanParticipantFactory(plan=participant.plan, user=participant.user))


def test_it_refuses_a_second_booking_for_a_plan():
    plan = PlanFactory()
    BookingFactory(plan=plan)
    assert refused(lambda: BookingFactory(plan=plan))


def test_it_refuses_an_unknown_plan_status():
    assert refused(lambda: PlanFactory(status="maybe"))
