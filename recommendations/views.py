"""GET /reco/venues/{user_id}/, GET /reco/people/{user_id}/ and a plan's group suggestions."""

from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_view
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from experiments.impressions import impressions_record
from luna.api.permissions import IsSelfOrStaff
from luna.api.schema import operation
from luna.api.throttles import ScopedRateThrottle
from luna.api.viewsets import ViewSet, not_found
from plans.models import Plan
from plans.selectors import plan_is_visible
from recommendations import examples
from recommendations.plan_suggestions import suggest_plan_people, suggest_plan_venues
from recommendations.selectors import venue_get
from recommendations.serializers import (
    GroupVenueSuggestionsSerializer,
    PeopleRecommendationQuerySerializer,
    PersonRecommendationSerializer,
    PersonSuggestionSerializer,
    PlanPeopleSuggestionQuerySerializer,
    PlanVenueSuggestionQuerySerializer,
    VenueRecommendationQuerySerializer,
    VenueRecommendationSerializer,
)
from recommendations.services import recommend_people, recommend_venues
from users.models import User

USER_ID_PARAMETER = OpenApiParameter(
    "user_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The user the recommendations are for."
)


VENUES_ORDER = (
    "Best first: score desc, then distance asc, then venue id. By default the active trained model ranks "
    "(`ranker: learned`, with its `model_version`); without one, or with `?ranker=formula`, the seed formula: "
    "score = 0.4 spatial + 0.4 preference + 0.2 popularity (weights from settings). Scores are 0-1 (see `score`). "
    "Every venue carries the features behind its score and what each contributed from the answer's `baseline`: "
    "score = baseline + the sum of contributions, on every row. 409 for `?ranker=learned` when no model is active."
)
PEOPLE_ORDER = (
    "Active users the user has an edge to, best first: score desc, then user id. "
    "score = 0.6 strength + 0.25 direct + 0.15 category; without venue_id, 0.6 strength. "
    "direct and category (how much they like the venue and its kind of place) are 0 for anyone who has "
    "no edge back to the user: a person's likes count only for the people they added."
)


class _ForOneUserViewSet(ViewSet):
    """The path names a user; only that user or staff may read their recommendations.

    A subclass names its query and result serializers and says how to `recommend`.
    """

    queryset = User.objects.all()
    lookup_url_kwarg = "user_id"
    permissions = {"*": [IsSelfOrStaff(message="You can only see your own recommendations.")]}
    pagination_class = None
    filter_backends: list = []
    # Per signed-in user (DRF's key is the caller's id): what one account may ask, and so record.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "recommendations"
    query_serializer_class: type
    serializer_class: type

    def get_throttles(self):
        # Staff reading someone else's list (a preview, `evaluate --api` asking for every user) are not
        # that person asking and nothing of it is recorded: not counted. Their own list counts as anyone's.
        if self.request.user.is_staff and not self.asks_for_the_caller():
            return []
        return super().get_throttles()

    def asks_for_the_caller(self) -> bool:
        """Whether the path names the signed-in user, in any spelling of their id (upper case, no dashes)."""
        try:
            return uuid.UUID(self.kwargs.get(self.lookup_url_kwarg, "")) == self.request.user.pk
        except ValueError:
            return False

    def get_object(self) -> User:
        # Asking for one's own recommendations is the common case: the signed-in user is already loaded.
        if self.asks_for_the_caller():
            self.check_object_permissions(self.request, self.request.user)
            return self.request.user
        return super().get_object()

    def recommend(self, user: User, query: dict) -> list:
        raise NotImplementedError

    def retrieve(self, request, user_id: str | None = None) -> Response:
        user = self.get_object()
        query = self.validated(self.query_serializer_class, request.query_params)
        return Response(self.get_serializer(self.recommend(user, query), many=True).data)


@extend_schema_view(
    retrieve=operation(
        "Venues recommended for a user",
        VenueRecommendationSerializer(many=True),
        errors=(400, 401, 403, 404, 409, 429),
        operation_id="reco_venues",
        description=VENUES_ORDER,
        parameters=[USER_ID_PARAMETER, VenueRecommendationQuerySerializer],
        example=examples.VENUE_RECOMMENDATION,
    )
)
class VenueRecommendationViewSet(_ForOneUserViewSet):
    query_serializer_class = VenueRecommendationQuerySerializer
    serializer_class = VenueRecommendationSerializer

    def recommend(self, user: User, query: dict) -> list:
        if "model_version" in query and not self.request.user.is_staff:
            raise PermissionDenied("Only staff may ask for a model version.")
        results = recommend_venues(user, **query)
        self.recommendation_id = uuid.uuid4()
        # What the user was shown, not what staff looked at for them (a preview is no impression).
        if results and self.request.user.pk == user.pk:
            impressions_record(
                recommendation_id=self.recommendation_id,
                user_id=user.pk,
                venue_ids=[row.venue_id for row in results],
                ranker=results[0].ranker,
                model_version=results[0].model_version,
                experiment_id=results[0].experiment.id if results[0].experiment else None,
                arm=results[0].arm or "",
            )
        return results

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "recommendation_id": getattr(self, "recommendation_id", None)}


@extend_schema_view(
    retrieve=operation(
        "Friends to invite, for a user and optionally a venue",
        PersonRecommendationSerializer(many=True),
        errors=(400, 401, 403, 404, 429),
        operation_id="reco_people",
        description=PEOPLE_ORDER,
        parameters=[USER_ID_PARAMETER, PeopleRecommendationQuerySerializer],
        example=examples.PERSON_RECOMMENDATION,
    )
)
class PeopleRecommendationViewSet(_ForOneUserViewSet):
    query_serializer_class = PeopleRecommendationQuerySerializer
    serializer_class = PersonRecommendationSerializer

    def recommend(self, user: User, query: dict) -> list:
        venue = None
        if "venue_id" in query:
            venue = venue_get(venue_id=query["venue_id"])
            if venue is None:
                raise NotFound("No venue with this venue_id.")
        return recommend_people(user, venue=venue, limit=query["limit"])


NO_PLAN = not_found(Plan)  # as ViewSet.get_object says it


class _ForOnePlanViewSet(ViewSet):
    """The path names a plan; its organizer, its participants and staff may read its suggestions, and
    for anyone else the plan does not exist (404)."""

    lookup_url_kwarg = "plan_id"
    # Not used to find the plan (get_plan does); the browsable API's filter form asks for one for a list answer.
    queryset = Plan.objects.all()
    pagination_class = None
    filter_backends: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "recommendations"  # per signed-in user, shared with /reco/
    query_serializer_class: type

    def get_plan(self) -> Plan:
        try:
            plan_id = uuid.UUID(self.kwargs["plan_id"])
        except ValueError:
            raise NotFound(NO_PLAN) from None
        plan = Plan.objects.select_related("organizer", "venue").filter(pk=plan_id).first()
        if plan is None or not plan_is_visible(plan=plan, user=self.request.user):
            raise NotFound(NO_PLAN)
        return plan

    def query(self) -> dict:
        return self.validated(self.query_serializer_class, self.request.query_params)


PLAN_ID_PARAMETER = OpenApiParameter("plan_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The plan.")


@extend_schema_view(
    list=operation(
        "Venues for a plan's whole group",
        GroupVenueSuggestionsSerializer,
        errors=(400, 401, 404, 409, 429),
        operation_id="plan_venue_suggestions",
        description="The group is the organizer and every participant who accepted (an invitation alone "
        "shares nothing). Each member's scores come from the ranker of their own list (the active trained "
        "model, else the formula); the strategy makes them the group's score. A member sees the group's "
        "score and their own figures (score, distance, features, contributions), never another member's, and "
        "the filters hold for their own home and visits; staff see every member's, filtered on the whole group. "
        "Visible to the organizer, the participants and staff (404 for anyone else); 409 for a cancelled "
        "plan. The filters of /reco/venues/ apply to the group.",
        parameters=[PLAN_ID_PARAMETER, PlanVenueSuggestionQuerySerializer],
        example=examples.GROUP_SUGGESTIONS,
    )
)
class PlanVenueSuggestionViewSet(_ForOnePlanViewSet):
    query_serializer_class = PlanVenueSuggestionQuerySerializer
    serializer_class = GroupVenueSuggestionsSerializer

    def list(self, request, plan_id: str | None = None) -> Response:
        plan = self.get_plan()
        result = suggest_plan_venues(plan=plan, viewer=request.user, **self.query())
        recommendation_id = uuid.uuid4()
        if result.suggestions:
            impressions_record(
                recommendation_id=recommendation_id,
                user_id=request.user.pk,
                venue_ids=[row.venue_id for row in result.suggestions],
                ranker=result.ranker,
                model_version=result.model_version,
                plan_id=plan.pk,
            )
        return Response({"recommendation_id": recommendation_id, **self.get_serializer(result).data})


@extend_schema_view(
    list=operation(
        "People to invite next to a plan",
        PersonSuggestionSerializer(many=True),
        errors=(400, 401, 403, 404, 409, 429),
        operation_id="plan_people_suggestions",
        description="The organizer's active friends who may be invited (they have an edge back to the "
        "organizer) and are not yet in the plan, best first (score desc, then user id): "
        "score = 0.6 strength + 0.25 direct + 0.15 category (for the plan's venue) + 0.2 x the share of the "
        "plan's other members who accepted they have an edge with. For the organizer and staff; 403 for the other "
        "participants, 404 for anyone else; 409 for a cancelled plan.",
        parameters=[PLAN_ID_PARAMETER, PlanPeopleSuggestionQuerySerializer],
        example=examples.PERSON_SUGGESTION,
    )
)
class PlanPeopleSuggestionViewSet(_ForOnePlanViewSet):
    query_serializer_class = PlanPeopleSuggestionQuerySerializer
    serializer_class = PersonSuggestionSerializer

    def list(self, request, plan_id: str | None = None) -> Response:
        plan = self.get_plan()
        people = suggest_plan_people(plan=plan, viewer=request.user, **self.query())
        return Response(self.get_serializer(people, many=True).data)
