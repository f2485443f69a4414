from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from luna.api.permissions import IsSelfOrStaff
from luna.api.schema import operation
from luna.api.viewsets import PartialUpdateMixin, ViewSet
from social import examples, services
from social.models import SocialEdge
from social.selectors import social_edge_list
from social.serializers import (
    SocialEdgeCreateSerializer,
    SocialEdgeListQuerySerializer,
    SocialEdgeSerializer,
    SocialEdgeUpdateSerializer,
)

EDGE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The edge's id.")


@extend_schema_view(
    list=operation(
        "Outgoing social edges",
        SocialEdgeSerializer(many=True),
        errors=(400, 401, 403),
        description="The caller's outgoing edges, strongest first; staff may pass `?user=` for someone else's.",
        parameters=[SocialEdgeListQuerySerializer],
        example=examples.EDGE,
    ),
    retrieve=operation(
        "One social edge (owner or staff)",
        SocialEdgeSerializer,
        errors=(401, 403, 404),
        parameters=[EDGE_ID],
        example=examples.EDGE,
    ),
    create=operation(
        "Create a social edge",
        SocialEdgeSerializer,
        errors=(400, 401, 403, 415),
        status=201,
        description="The edge starts at the caller (staff may pass `user_id`). An edge to yourself or a second "
        "edge to the same user is a 400.",
        request=SocialEdgeCreateSerializer,
        request_example=examples.NEW_EDGE,
        example=examples.EDGE,
    ),
    partial_update=operation(
        "Change a social edge (owner or staff)",
        SocialEdgeSerializer,
        errors=(400, 401, 403, 404, 415),
        parameters=[EDGE_ID],
        request=SocialEdgeUpdateSerializer,
        request_example=examples.EDGE_CHANGE,
        example={**examples.EDGE, **examples.EDGE_CHANGE, "updated_at": "2026-12-01T10:02:33.871Z"},
    ),
    destroy=operation(
        "Delete a social edge (owner or staff)", None, errors=(401, 403, 404), status=204, parameters=[EDGE_ID]
    ),
)
class SocialEdgeViewSet(
    PartialUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    ViewSet,
):
    """Signed-in users; an edge itself only for its owner and staff. Whose edges a list or a new edge
    is about, the `user` / `user_id` field says (users.serializers.ActingUserField)."""

    serializer_class = SocialEdgeSerializer
    update_serializer_class = SocialEdgeUpdateSerializer
    permissions = {"*": [IsSelfOrStaff(owner_field="user_id", message="Only the edge's owner or staff may do this.")]}

    def get_queryset(self):
        if self.action == "list":
            query = self.validated(SocialEdgeListQuerySerializer, self.request.query_params)
            return social_edge_list(owner_id=query["user"].pk)
        # Someone else's edge is found, then refused by IsSelfOrStaff (403, not 404).
        return SocialEdge.objects.all()

    def create(self, request, *args, **kwargs) -> Response:
        edge = services.social_edge_create(**self.validated(SocialEdgeCreateSerializer))
        return Response(SocialEdgeSerializer(edge).data, status=status.HTTP_201_CREATED)

    def perform_partial_update(self, instance, data: dict):
        return services.social_edge_update(edge=instance, data=data)

    def perform_destroy(self, instance) -> None:
        services.social_edge_delete(edge=instance)
