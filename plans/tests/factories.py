from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from plans.models import Booking, Plan, PlanParticipant
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    organizer = factory.SubFactory(UserFactory)
    venue = factory.SubFactory(VenueFactory)
    start_time = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    status = Plan.Status.PENDING


class PlanParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanParticipant

    plan = factory.SubFactory(PlanFactory)
    user = factory.SubFactory(UserFactory)
    status = PlanParticipant.Status.INVITED


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    plan = factory.SubFactory(PlanFactory)
    provider = "mock"
    status = Booking.Status.PENDING
