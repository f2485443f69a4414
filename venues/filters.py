"""Query parameters of the venue and interaction lists."""

from __future__ import annotations

import re

from django import forms
from django.db.models import F
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from luna.api.filters import ChoiceFilter, IntegerFilter, NumberFilter, RejectBlank, UUIDFilter, without_nul
from luna.api.query import BLANK
from venues.models import Interaction, Venue
from venues.selectors import venues_within

MAX_RADIUS_KM = 20_040.0  # half the earth's circumference: everything is within it
DEFAULT_RADIUS_KM = 10.0
# "lat,lng" in decimal degrees; the pattern itself keeps lat within -90..90 and lng within -180..180.
_LAT = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
_LNG = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
NEAR_PATTERN = rf"^\s*{_LAT}\s*,\s*{_LNG}\s*$"


class _RepeatedValuesField(forms.Field):
    widget = forms.SelectMultiple  # reads every occurrence of the parameter

    def to_python(self, value) -> list[str]:
        values = value if isinstance(value, (list, tuple)) else [value] if value is not None else []
        cleaned = [without_nul(str(item)).strip().lower() for item in values]
        if not all(cleaned):
            raise forms.ValidationError(BLANK, code="blank")
        return cleaned


class CategoryFilter(filters.Filter):
    """`?category=bar&category=cafe`: venues in any of the categories."""

    field_class = _RepeatedValuesField

    def filter(self, queryset, value):
        return queryset.filter(category__in=value) if value else queryset


class _LatLngField(RejectBlank, forms.CharField):
    default_error_messages = {
        "invalid": "Give near as 'lat,lng' in decimal degrees, lat within -90..90 and lng within -180..180."
    }

    def to_python(self, value) -> tuple[float, float] | None:
        value = super().to_python(value)
        if not value:
            return None
        if not re.fullmatch(NEAR_PATTERN, value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        lat, lng = value.split(",")
        return float(lat), float(lng)


@extend_schema_field(OpenApiTypes.STR)
class NearFilter(filters.Filter):
    field_class = _LatLngField


@extend_schema_field(OpenApiTypes.DOUBLE)
class RadiusFilter(NumberFilter):
    pass


class VenueFilter(filters.FilterSet):
    category = CategoryFilter()
    max_price_level = IntegerFilter(field_name="price_level", lookup_expr="lte", min_value=1, max_value=4)
    min_rating = NumberFilter(field_name="rating", lookup_expr="gte", min_value=0, max_value=5)
    near = NearFilter(method="_applied_in_filter_queryset")
    radius_km = RadiusFilter(method="_applied_in_filter_queryset", min_value=0, max_value=MAX_RADIUS_KM)

    class Meta:
        model = Venue
        fields = ["category", "max_price_level", "min_rating", "near", "radius_km"]

    def _applied_in_filter_queryset(self, queryset, name, value):
        return queryset  # near and radius_km act together; see filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        near, radius = self.form.cleaned_data.get("near"), self.form.cleaned_data.get("radius_km")
        if near is not None:
            radius_km = DEFAULT_RADIUS_KM if radius is None else float(radius)
            queryset = venues_within(queryset, lat=near[0], lng=near[1], radius_km=radius_km)
        return queryset


class VenueOrderingFilter(OrderingFilter):
    """`?ordering=` one of name, rating, price_level (`-` for descending); nearest first by default with `near`.

    An unknown key is a 400 rather than silently ignored. Venues without a value for the
    key come last. The id is always the last key so that pages never repeat or skip a venue.
    """

    def get_ordering(self, request, queryset, view) -> list:
        requested = request.query_params.get(self.ordering_param)
        if requested is not None:
            allowed = {prefix + field for field in view.ordering_fields for prefix in ("", "-")}
            if requested not in allowed:
                raise ValidationError({self.ordering_param: [f"Use one of: {', '.join(sorted(allowed))}."]})
            # Unrated or unpriced venues last in both directions; SQLite and PostgreSQL disagree otherwise.
            field = F(requested.removeprefix("-"))
            key = field.desc(nulls_last=True) if requested.startswith("-") else field.asc(nulls_last=True)
            return [key, "id"]
        if "distance_km" in queryset.query.annotations:
            return ["distance_km", "name", "id"]
        return [*view.ordering, "id"]


class InteractionFilter(filters.FilterSet):
    venue = UUIDFilter(field_name="venue_id", help_text="Only interactions with this venue.")
    interaction_type = ChoiceFilter(choices=Interaction.Type.choices, help_text="Only this type.")

    class Meta:
        model = Interaction
        fields = ["venue", "interaction_type"]
