from __future__ import annotations

from decimal import Decimal

import factory

from users.tests.factories import UserFactory
from venues.models import Interaction, Venue


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"Venue {n}")
    description = "A place to go."
    category = "bar"
    lat = 40.73
    lng = -73.99
    price_level = 2
    rating = Decimal("4.5")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    user = factory.SubFactory(UserFactory)
    venue = factory.SubFactory(VenueFactory)
    interaction_type = Interaction.Type.LIKE
    dwell_time_seconds = 120
