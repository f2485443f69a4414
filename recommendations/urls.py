from luna.api.routers import OptionalSlashRouter
from recommendations.views import (
    PeopleRecommendationViewSet,
    PlanPeopleSuggestionViewSet,
    PlanVenueSuggestionViewSet,
    VenueRecommendationViewSet,
)

router = OptionalSlashRouter()
router.register(r"reco/venues", VenueRecommendationViewSet, basename="reco-venues")
router.register(r"reco/people", PeopleRecommendationViewSet, basename="reco-people")
# Under /plans/, served here: recommendations may read plans, plans know nothing of recommendations.
router.register(r"plans/(?P<plan_id>[^/]+)/venue-suggestions", PlanVenueSuggestionViewSet, basename="plan-venues")
router.register(r"plans/(?P<plan_id>[^/]+)/people-suggestions", PlanPeopleSuggestionViewSet, basename="plan-people")

urlpatterns = [*router.urls]
