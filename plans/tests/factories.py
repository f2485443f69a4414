from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from plans.models import Booking, Plan, PlanParticipant
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory


class PlanFactory(factory.django.DjangoModelFactory):
    """A pending plan; `PlanFactory(confirmed=True)` or `cancelled=True` saves it in that state.

    Created as confirmed it gets no booking: only plan_confirm's save opens one (plans.signals).
    """

    class Meta:
        model = Plan

    class Params:
        confirmed = factory.Trait(status=Plan.Status.CONFIRMED)
        cancelled = factory.Trait(status=Plan.Status.CANCELLED)

    organizer = factory.SubFactory(UserFactory)
    venue = factory.SubFactory(VenueFactory)
    start_time = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    status = Plan.Status.PENDING


class PlanParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanParticipant

    # status: the model's default, invited.
    plan = factory.SubFactory(PlanFactory)
    user = factory.SubFactory(UserFactory)


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    plan = factory.SubFactory(PlanFactory)
    provider = "mock"
    status = Booking.Status.PENDING
