from __future__ import annotations

import django_filters

from luna.api.filters import ChoiceFilter
from plans.models import Booking, Plan


class PlanFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=Plan.Status.choices)

    class Meta:
        model = Plan
        fields = ["status"]


class BookingFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=Booking.Status.choices)

    class Meta:
        model = Booking
        fields = ["status"]
