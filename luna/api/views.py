"""Project-wide endpoints: health and JSON error pages."""

from __future__ import annotations

import re
from functools import cache

from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from django.urls import URLResolver, get_resolver
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views import csrf, defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView, get_view_description

SERVICE_NAME = "Luna API Service"


@cache
def _expected_migrations() -> frozenset[tuple[str, str]]:
    """Every migration this code ships, read from disk once per process."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def unapplied_migrations() -> list[str]:
    """Migrations the database has not recorded (one query); raises DatabaseError when it cannot be read."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return sorted(f"{app}.{name}" for app, name in _expected_migrations())
    applied = set(recorder.migration_qs.values_list("app", "name"))
    return sorted(f"{app}.{name}" for app, name in _expected_migrations() - applied)


HealthSerializer = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(["healthy", "unhealthy"]),
        "service": serializers.CharField(),
        "database": serializers.ChoiceField(["ok", "unavailable", "not_migrated"]),
        "detail": serializers.CharField(required=False, help_text="What to do, when unhealthy."),
    },
)


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Service health",
        description="200 when the database answers and has every migration applied; 503 when it cannot be "
        "reached; 500 when it lacks migrations (a deployment that skipped `migrate`).",
        responses={200: HealthSerializer, 500: HealthSerializer, 503: HealthSerializer},
    )
    def get(self, request):
        try:
            missing = unapplied_migrations()
        except DatabaseError:
            body = {"status": "unhealthy", "service": SERVICE_NAME, "database": "unavailable"}
            return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        if missing:
            body = {
                "status": "unhealthy",
                "service": SERVICE_NAME,
                "database": "not_migrated",
                "detail": f"{len(missing)} migrations are not applied (first: {missing[0]}); "
                "run `python manage.py migrate`.",
            }
            return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        return Response({"status": "healthy", "service": SERVICE_NAME, "database": "ok"})


def view_description(view, html: bool = False) -> str:
    """DRF's view description (the docstring), with `code` in backticks shown as code on the browsable
    API's pages rather than as literal backticks (DRF renders Markdown only when the markdown package
    is installed; Luna does not need it for one kind of markup)."""
    description = get_view_description(view, html=False)
    if not html:
        return description
    text = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escape(description)).replace("\n", "<br />")
    return mark_safe(f"<p>{text}</p>")  # noqa: S308 - escaped above, only <code> and <br /> added


# --- error pages: JSON for API clients, HTML for browsers ----------------------------------

# First path segments a browser opens as pages; every other route of the URLconf is the API's.
_PAGES = {"", "admin", "docs", "redoc", "static"}


def _first_segments(patterns) -> set[str]:
    segments = set()
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver) and route in {"", "^"}:
            segments |= _first_segments(pattern.url_patterns)
        elif match := re.match(r"\^?([\w.-]*)", route):
            segments.add(match.group(1))
    return segments


@cache
def _api_segments() -> frozenset[str]:
    return frozenset(_first_segments(get_resolver().url_patterns) - _PAGES)


def wants_page(request) -> bool:
    """Whether an error is answered as an HTML page: only to a browser (its Accept names text/html,
    not just */*) and outside the API's paths. Everyone else (application/json, */*, no Accept, and
    any client on an API path) gets JSON, as does one weighting application/json above text/html."""
    if not any(accepted.main_type == "text" and accepted.sub_type == "html" for accepted in request.accepted_types):
        return False
    if request.get_preferred_type(["text/html", "application/json"]) != "text/html":
        return False
    return request.path.lstrip("/").split("/", 1)[0] not in _api_segments()


def bad_request(request, exception=None):
    if wants_page(request):
        return defaults.bad_request(request, exception)
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    if wants_page(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)


def csrf_failure(request, reason=""):
    """settings.CSRF_FAILURE_VIEW: Django's page for a browser, DRF's words in JSON for anyone else
    (a script posting to the admin's Data page, say)."""
    if wants_page(request):
        return csrf.csrf_failure(request, reason)
    return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=403)


NOT_FOUND = "Not found."


def not_found(request, exception=None):
    if wants_page(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"detail": NOT_FOUND}, status=404)


def server_error(request):
    if wants_page(request):
        return defaults.server_error(request)
    return JsonResponse({"detail": "Internal server error."}, status=500)
