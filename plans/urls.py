from luna.api.routers import OptionalSlashRouter
from plans.views import BookingViewSet, PlanViewSet

router = OptionalSlashRouter()
router.register("plans", PlanViewSet, basename="plan")
router.register("bookings", BookingViewSet, basename="booking")

urlpatterns = [*router.urls]
