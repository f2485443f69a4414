from __future__ import annotations

from rest_framework import serializers

from luna.api.serializers import StrictModelSerializer
from social.models import SocialEdge
from users.models import User


class SocialEdgeSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    other_user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = SocialEdge
        fields = ["id", "user_id", "other_user_id", "relationship_type", "strength", "created_at", "updated_at"]
        read_only_fields = fields


class SocialEdgeCreateSerializer(StrictModelSerializer):
    other_user_id = serializers.PrimaryKeyRelatedField(
        source="other_user", queryset=User.objects.filter(is_active=True), help_text="Whom the edge points to."
    )
    user_id = serializers.PrimaryKeyRelatedField(
        source="user",
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Whose edge this is; defaults to the caller. Only staff may name someone else.",
    )

    class Meta:
        model = SocialEdge
        fields = ["other_user_id", "relationship_type", "strength", "user_id"]
        # Uniqueness and "not to yourself" are business rules checked by social.services.
        validators: list = []


class SocialEdgeUpdateSerializer(StrictModelSerializer):
    class Meta:
        model = SocialEdge
        fields = ["relationship_type", "strength"]


class SocialEdgeListQuerySerializer(serializers.Serializer):
    user = serializers.UUIDField(
        required=False, help_text="Whose outgoing edges to list (staff only); default: the caller."
    )
