"""Query parameters and response bodies of the recommendation endpoints."""

from __future__ import annotations

from rest_framework import serializers

from luna.api.serializers import QueryParamsSerializer
from recommendations.services import MAX_LIMIT
from social.models import SocialEdge

DEFAULT_LIMIT = 10


class CategorySlugField(serializers.SlugField):
    """A category slug in any case: venues store theirs in lower case, as `/venues/?category=` matches them."""

    def to_internal_value(self, data) -> str:
        return super().to_internal_value(data).lower()


def limit_field() -> serializers.IntegerField:
    """How many recommendations: the one place the bounds are checked (the API and `recommend` alike)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


class VenueRecommendationQuerySerializer(QueryParamsSerializer):
    limit = limit_field()
    category = serializers.ListField(
        child=CategorySlugField(max_length=50),
        source="categories",
        required=False,
        max_length=50,
        help_text="Only venues of these categories; repeat the parameter for several.",
    )
    max_distance_km = serializers.FloatField(
        min_value=0,
        required=False,
        help_text="Only venues at most this far from the user's home (400 when the user has no home location).",
    )
    max_price_level = serializers.IntegerField(
        min_value=1, max_value=4, required=False, help_text="Only venues with a known price level up to this one."
    )
    exclude_interacted = serializers.BooleanField(
        default=False, help_text="Leave out venues the user has already viewed, liked or shown interest in."
    )


class PeopleRecommendationQuerySerializer(QueryParamsSerializer):
    venue_id = serializers.UUIDField(
        required=False, help_text="Rank friends for this venue (404 when no such venue); omit to rank by tie strength."
    )
    limit = limit_field()


class VenueFeaturesSerializer(serializers.Serializer):
    spatial = serializers.FloatField()
    preference = serializers.FloatField()
    popularity = serializers.FloatField()


class VenueRecommendationSerializer(serializers.Serializer):
    venue_id = serializers.UUIDField()
    venue_name = serializers.CharField()
    category = serializers.CharField(help_text='The venue\'s category slug; "" when it has none.')
    score = serializers.FloatField()
    distance_km = serializers.FloatField(allow_null=True, help_text="null when the user has no home location.")
    features = VenueFeaturesSerializer()


class PersonFeaturesSerializer(serializers.Serializer):
    strength = serializers.FloatField()
    direct = serializers.FloatField()
    category = serializers.FloatField()


class PersonRecommendationSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    handle = serializers.CharField()
    name = serializers.CharField()
    relationship_type = serializers.ChoiceField(choices=SocialEdge.RelationshipType.choices)
    score = serializers.FloatField()
    features = PersonFeaturesSerializer()
