from luna.api.routers import OptionalSlashRouter
from venues.views import UserInteractionViewSet, VenueViewSet

router = OptionalSlashRouter()
router.register("venues", VenueViewSet, basename="venue")
router.register(r"users/(?P<id>[^/]+)/interactions", UserInteractionViewSet, basename="user-interactions")

urlpatterns = [*router.urls]
