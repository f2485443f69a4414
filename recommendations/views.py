"""GET /reco/venues/{user_id}/ and GET /reco/people/{user_id}/."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from luna.api.permissions import IsSelfOrStaff
from luna.api.schema import error_responses
from luna.api.viewsets import ViewSet
from recommendations.selectors import venue_get
from recommendations.serializers import (
    PeopleRecommendationQuerySerializer,
    PersonRecommendationSerializer,
    VenueRecommendationQuerySerializer,
    VenueRecommendationSerializer,
)
from recommendations.services import recommend_people, recommend_venues
from users.models import User

USER_ID_PARAMETER = OpenApiParameter(
    "user_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The user the recommendations are for."
)


class _ForOneUserViewSet(ViewSet):
    """The path names a user; only that user or staff may read their recommendations."""

    queryset = User.objects.all()
    lookup_url_kwarg = "user_id"
    permissions = {"*": [IsSelfOrStaff(message="You can only see your own recommendations.")]}
    pagination_class = None
    filter_backends: list = []

    def get_object(self) -> User:
        # Asking for one's own recommendations is the common case: the signed-in user is already loaded.
        if str(self.request.user.pk) == self.kwargs[self.lookup_url_kwarg]:
            self.check_object_permissions(self.request, self.request.user)
            return self.request.user
        return super().get_object()


class VenueRecommendationViewSet(_ForOneUserViewSet):
    @extend_schema(
        operation_id="reco_venues",
        summary="Venues recommended for a user",
        description=(
            "Best first: score desc, then distance asc, then venue id. "
            "score = 0.4 spatial + 0.4 preference + 0.2 popularity (weights from settings)."
        ),
        parameters=[USER_ID_PARAMETER, VenueRecommendationQuerySerializer],
        responses={200: VenueRecommendationSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def retrieve(self, request, user_id: str | None = None) -> Response:
        user = self.get_object()
        query = VenueRecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        results = recommend_venues(user, **query.to_service_kwargs())
        return Response(VenueRecommendationSerializer(results, many=True).data)


class PeopleRecommendationViewSet(_ForOneUserViewSet):
    @extend_schema(
        operation_id="reco_people",
        summary="Friends to invite, for a user and optionally a venue",
        description=(
            "Active users the user has an edge to, best first: score desc, then user id. "
            "score = 0.6 strength + 0.25 direct + 0.15 category; without venue_id, 0.6 strength."
        ),
        parameters=[USER_ID_PARAMETER, PeopleRecommendationQuerySerializer],
        responses={200: PersonRecommendationSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def retrieve(self, request, user_id: str | None = None) -> Response:
        user = self.get_object()
        query = PeopleRecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        venue = None
        if "venue_id" in query.validated_data:
            venue = venue_get(venue_id=query.validated_data["venue_id"])
            if venue is None:
                raise NotFound("No venue with this venue_id.")
        results = recommend_people(user, venue=venue, limit=query.validated_data["limit"])
        return Response(PersonRecommendationSerializer(results, many=True).data)
