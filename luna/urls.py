"""Root URLs. Each app owns its own urls module; every API path works with and without a trailing slash."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from luna.api.views import HealthView
from luna.views import front_page, metrics

admin.site.site_header = "Luna administration"
admin.site.site_title = "Luna admin"

urlpatterns = [
    path("", front_page, name="front"),
    path("admin/", admin.site.urls),
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^metrics/?$", metrics, name="metrics"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    re_path(r"^redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("users.urls")),
    path("", include("venues.urls")),
    path("", include("social.urls")),
    path("", include("plans.urls")),
    path("", include("recommendations.urls")),
]

handler400 = "luna.api.views.bad_request"
handler403 = "luna.api.views.permission_denied"
handler404 = "luna.api.views.not_found"
handler500 = "luna.api.views.server_error"
