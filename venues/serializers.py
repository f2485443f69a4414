from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from luna.api.fields import ObjectIdField, StrictUUIDField
from luna.api.serializers import StrictModelSerializer
from users.serializers import ActingUserField
from venues.models import Interaction, Venue


class VenueIdField(ObjectIdField):
    """A venue named by id in a request body."""

    noun = "venue"

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=Venue.objects.all(), **kwargs)


class VenueSerializer(StrictModelSerializer):
    distance_km = serializers.SerializerMethodField(
        help_text="Distance from `near` in km when the list was filtered by `near`; otherwise null."
    )

    class Meta:
        model = Venue
        fields = [
            "id",
            "name",
            "description",
            "category",
            "lat",
            "lng",
            "price_level",
            "rating",
            "created_at",
            "updated_at",
            "distance_km",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "rating": {
                "help_text": "0.0 to 5.0 with at most one decimal, e.g. 4.5.",
                "error_messages": dict.fromkeys(
                    ["max_digits", "max_decimal_places", "max_whole_digits"],
                    "Give a rating from 0.0 to 5.0 with at most one decimal, e.g. 4.5.",
                ),
            },
            "category": {"help_text": "Slug such as bar, cafe, music; stored in lower case."},
        }

    def validate_category(self, value: str) -> str:
        return value.lower()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_km(self, venue: Venue) -> float | None:
        distance = getattr(venue, "distance_km", None)
        return None if distance is None else round(distance, 3)  # to the metre


class InteractionSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    venue_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "user_id", "venue_id", "interaction_type", "dwell_time_seconds", "created_at"]
        read_only_fields = fields


class InteractionCreateSerializer(StrictModelSerializer):
    user_id = ActingUserField(source="user", what="interaction")
    recommendation_id = StrictUUIDField(
        required=False,
        write_only=True,
        help_text="The recommendation_id of the answer that showed this venue, when the app knows it. Without "
        "it the interaction is still attributed to the latest recommendation of the venue to the user in the "
        "attribution window (24 h by default).",
    )

    class Meta:
        model = Interaction
        fields = ["interaction_type", "dwell_time_seconds", "user_id", "recommendation_id"]
