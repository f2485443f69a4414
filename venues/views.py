from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from luna.api.filters import MAX_SEARCH_WORDS, SearchFilter
from luna.api.permissions import AllowAny, IsAuthenticated, IsSelfOrStaff, IsStaff
from luna.api.schema import error_responses
from luna.api.throttles import ScopedRateThrottle
from luna.api.viewsets import PartialUpdateMixin, ViewSet
from users.selectors import user_list
from venues import services
from venues.filters import DEFAULT_RADIUS_KM, NEAR_PATTERN, InteractionFilter, VenueFilter, VenueOrderingFilter
from venues.models import Interaction
from venues.selectors import interaction_list, venue_list
from venues.serializers import InteractionCreateSerializer, InteractionSerializer, VenueSerializer

VENUE_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The venue's id.")
USER_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The user's id.")
INTERACTION_ACTIONS = {"interactions", "interact"}

LIST_PARAMETERS = [
    OpenApiParameter(
        "category",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        description="Only venues in these categories; repeat the parameter for several: `?category=bar&category=cafe`.",
    ),
    OpenApiParameter(
        "max_price_level",
        {"type": "integer", "minimum": 1, "maximum": 4},
        description="Only venues whose price level is at most this (1-4).",
    ),
    OpenApiParameter(
        "min_rating",
        {"type": "number", "minimum": 0, "maximum": 5},
        description="Only venues rated at least this (0-5); unrated ones are left out.",
    ),
    OpenApiParameter(
        "near",
        OpenApiTypes.STR,
        pattern=NEAR_PATTERN,
        description="`lat,lng`: only venues within `radius_km` of this point (great-circle distance); "
        "results are then nearest first unless `ordering` is given, and carry `distance_km`.",
    ),
    OpenApiParameter(
        "radius_km",
        {"type": "number", "minimum": 0, "maximum": 20040, "default": DEFAULT_RADIUS_KM},
        description="Radius around `near` in km (0-20040); ignored without `near`.",
    ),
    OpenApiParameter(
        "search",
        OpenApiTypes.STR,
        description=f"Words that must all appear in the name or description (at most {MAX_SEARCH_WORDS}).",
    ),
    OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=["name", "-name", "rating", "-rating", "price_level", "-price_level"],
        description="Sort key; prefix with `-` for descending. Default: name (nearest first with `near`).",
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary="List venues",
        parameters=LIST_PARAMETERS,
        responses={200: VenueSerializer(many=True), **error_responses(400, 401)},
        auth=[],
    ),
    retrieve=extend_schema(
        summary="One venue",
        parameters=[VENUE_ID],
        responses={200: VenueSerializer, **error_responses(401, 404)},
        auth=[],
    ),
    create=extend_schema(
        summary="Add a venue (staff)",
        request=VenueSerializer,
        responses={201: VenueSerializer, **error_responses(400, 401, 403, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a venue (staff)",
        parameters=[VENUE_ID],
        request=VenueSerializer,
        responses={200: VenueSerializer, **error_responses(400, 401, 403, 404, 415)},
    ),
    destroy=extend_schema(
        summary="Remove a venue (staff)",
        description="Deletes the venue and its interactions; plans made for it stay, without a venue. "
        "409 while a confirmed plan ahead holds a booking there: cancel it first.",
        parameters=[VENUE_ID],
        responses={204: None, **error_responses(401, 403, 404, 409)},
    ),
)
class VenueViewSet(
    PartialUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    ViewSet,
):
    """Anyone reads the catalogue; staff edit it; signed-in users record their own interactions."""

    serializer_class = VenueSerializer
    update_serializer_class = VenueSerializer
    permissions = {
        "list": [AllowAny()],
        "retrieve": [AllowAny()],
        # Whose interaction it is, the body's `user_id` says (users.serializers.ActingUserField).
        "interactions": [IsAuthenticated()],
        "interact": [IsAuthenticated()],
        "*": [IsStaff(message="Only staff may change venues.")],
    }
    filter_backends = [DjangoFilterBackend, SearchFilter, VenueOrderingFilter]
    filterset_class = VenueFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "rating", "price_level"]
    ordering = ["name"]

    def get_queryset(self):
        return venue_list()

    def get_throttles(self):
        # Interactions move everyone's popularity, so one account may only post so many.
        return [ScopedRateThrottle()] if self.action in INTERACTION_ACTIONS else []

    @property
    def throttle_scope(self) -> str | None:
        return "interactions" if self.action in INTERACTION_ACTIONS else None

    def perform_create(self, serializer) -> None:
        serializer.instance = services.venue_create(**serializer.validated_data)

    def perform_partial_update(self, instance, data: dict):
        return services.venue_update(venue=instance, **data)

    def perform_destroy(self, instance) -> None:
        services.venue_delete(venue=instance)

    def _record_interaction(self, request) -> Response:
        venue = self.get_object()
        serializer = InteractionCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        interaction = services.interaction_record(venue=venue, **serializer.validated_data)
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record an interaction with a venue",
        description="The interaction belongs to the caller; only staff may pass another user's `user_id`.",
        parameters=[VENUE_ID],
        request=InteractionCreateSerializer,
        responses={201: InteractionSerializer, **error_responses(400, 401, 403, 404, 415, 429)},
    )
    @action(detail=True, methods=["post"], url_path="interactions")
    def interactions(self, request, pk=None) -> Response:
        return self._record_interaction(request)

    @extend_schema(
        summary="Record an interaction (the reference design's path)",
        description="Same as `POST /venues/{id}/interactions/`.",
        parameters=[VENUE_ID],
        request=InteractionCreateSerializer,
        responses={201: InteractionSerializer, **error_responses(400, 401, 403, 404, 415, 429)},
        deprecated=True,
    )
    @action(detail=True, methods=["post"], url_path="interact")
    def interact(self, request, pk=None) -> Response:
        return self._record_interaction(request)


@extend_schema_view(
    list=extend_schema(
        summary="A user's interactions (that user or staff)",
        parameters=[USER_ID],
        responses={200: InteractionSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
)
class UserInteractionViewSet(mixins.ListModelMixin, ViewSet):
    """GET /users/{id}/interactions/: one user's interactions, newest first."""

    serializer_class = InteractionSerializer
    permissions = {"*": [IsSelfOrStaff(message="Only that user or staff can see these interactions.")]}
    filter_backends = [DjangoFilterBackend]
    filterset_class = InteractionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Interaction.objects.none()
        user = get_object_or_404(user_list(viewer=self.request.user), pk=self.kwargs["id"])
        self.check_object_permissions(self.request, user)
        return interaction_list(user=user)
