from luna.api.routers import OptionalSlashRouter
from recommendations.views import PeopleRecommendationViewSet, VenueRecommendationViewSet

router = OptionalSlashRouter()
router.register(r"reco/venues", VenueRecommendationViewSet, basename="reco-venues")
router.register(r"reco/people", PeopleRecommendationViewSet, basename="reco-people")

urlpatterns = [*router.urls]
