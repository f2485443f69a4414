from luna.api.routers import OptionalSlashRouter
from venues.views import VenueViewSet

router = OptionalSlashRouter()
router.register("venues", VenueViewSet, basename="venue")

urlpatterns = [*router.urls]
