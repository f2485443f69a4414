from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from luna.api.filters import MAX_SEARCH_WORDS, SearchFilter
from luna.api.permissions import AllowAny, IsAuthenticated, IsSelfOrStaff, IsStaff
from luna.api.schema import operation
from luna.api.throttles import ScopedRateThrottle
from luna.api.viewsets import PartialUpdateMixin, ViewSet, get_object_or_404
from users.selectors import user_list
from venues import examples, services
from venues.filters import DEFAULT_RADIUS_KM, NEAR_PATTERN, InteractionFilter, VenueFilter, VenueOrderingFilter
from venues.models import Interaction
from venues.selectors import interaction_list, venue_list
from venues.serializers import InteractionCreateSerializer, InteractionSerializer, VenueSerializer

VENUE_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The venue's id.")
USER_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The user's id.")
INTERACTION_ACTIONS = {"interactions", "interact"}
RECORD_INTERACTION = {
    "ok": InteractionSerializer,
    "errors": (400, 401, 403, 404, 415, 429),
    "status": 201,
    "parameters": [VENUE_ID],
    "request": InteractionCreateSerializer,
    "request_example": examples.LIKE,
    "example": examples.INTERACTION,
}
RECORDED_AS_CALLER = "The interaction belongs to the caller; only staff may pass another user's `user_id`."

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
    list=operation(
        "List venues",
        VenueSerializer(many=True),
        errors=(400, 401),
        parameters=LIST_PARAMETERS,
        auth=[],
        example={**examples.VENUE, "distance_km": 0.907},
    ),
    retrieve=operation(
        "One venue", VenueSerializer, errors=(401, 404), parameters=[VENUE_ID], auth=[], example=examples.VENUE
    ),
    create=operation(
        "Add a venue (staff)", VenueSerializer, errors=(400, 401, 403, 415), status=201, request=VenueSerializer
    ),
    partial_update=operation(
        "Change a venue (staff)",
        VenueSerializer,
        errors=(400, 401, 403, 404, 415),
        parameters=[VENUE_ID],
        request=VenueSerializer,
    ),
    destroy=operation(
        "Remove a venue (staff)",
        None,
        errors=(401, 403, 404, 409),
        status=204,
        description="Deletes the venue and its interactions; plans made for it stay, without a venue. "
        "409 while a confirmed plan ahead holds a booking there: cancel it first.",
        parameters=[VENUE_ID],
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
        return services.venue_update(venue=instance, data=data)

    def perform_destroy(self, instance) -> None:
        services.venue_delete(venue=instance)

    def _record_interaction(self, request) -> Response:
        venue = self.get_object()
        interaction = services.interaction_record(venue=venue, **self.validated(InteractionCreateSerializer))
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)

    @operation("Record an interaction with a venue", description=RECORDED_AS_CALLER, **RECORD_INTERACTION)
    @action(detail=True, methods=["post"], url_path="interactions")
    def interactions(self, request, pk=None) -> Response:
        return self._record_interaction(request)

    @operation(
        "Record an interaction (the reference design's path)",
        description="Same as `POST /venues/{id}/interactions/`.",
        deprecated=True,
        **RECORD_INTERACTION,
    )
    @action(detail=True, methods=["post"], url_path="interact")
    def interact(self, request, pk=None) -> Response:
        return self._record_interaction(request)


@extend_schema_view(
    list=operation(
        "A user's interactions (that user or staff)",
        InteractionSerializer(many=True),
        errors=(400, 401, 403, 404),
        parameters=[USER_ID],
        example=examples.INTERACTION,
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
