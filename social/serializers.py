from __future__ import annotations

from rest_framework import serializers

from luna.api.serializers import QueryParamsSerializer, StrictModelSerializer
from social.models import SocialEdge
from users.serializers import ActingUserField, UserIdField


class SocialEdgeSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    other_user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = SocialEdge
        fields = ["id", "user_id", "other_user_id", "relationship_type", "strength", "created_at", "updated_at"]
        read_only_fields = fields


class SocialEdgeCreateSerializer(StrictModelSerializer):
    other_user_id = UserIdField(source="other_user", help_text="Whom the edge points to.")
    user_id = ActingUserField(source="user", what="edge")

    class Meta:
        model = SocialEdge
        fields = ["other_user_id", "relationship_type", "strength", "user_id"]
        # Uniqueness and "not to yourself" are business rules checked by social.services.
        validators: list = []


class SocialEdgeUpdateSerializer(StrictModelSerializer):
    class Meta:
        model = SocialEdge
        fields = ["relationship_type", "strength"]


class SocialEdgeListQuerySerializer(QueryParamsSerializer):
    user = ActingUserField(
        what="outgoing edges to list", help_text="Whose outgoing edges to list (staff only); default: the caller."
    )
