from luna.api.routers import OptionalSlashRouter
from social.views import SocialEdgeViewSet

router = OptionalSlashRouter()
router.register("social/edges", SocialEdgeViewSet, basename="social-edge")

urlpatterns = [*router.urls]
