from django.urls import re_path

from luna.api.routers import OptionalSlashRouter
from users.views import AuthTokenView, UserViewSet

router = OptionalSlashRouter()
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    re_path(r"^auth/token/?$", AuthTokenView.as_view(), name="auth-token"),
    *router.urls,
]
