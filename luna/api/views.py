"""Project-wide endpoints: health and JSON error pages."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

SERVICE_NAME = "Luna API Service"


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Service health",
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(["healthy", "unhealthy"]),
                    "service": serializers.CharField(),
                    "database": serializers.ChoiceField(["ok", "unavailable"]),
                },
            ),
            503: inline_serializer(
                "HealthUnavailable",
                {
                    "status": serializers.ChoiceField(["healthy", "unhealthy"]),
                    "service": serializers.CharField(),
                    "database": serializers.ChoiceField(["ok", "unavailable"]),
                },
            ),
        },
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            body = {"status": "unhealthy", "service": SERVICE_NAME, "database": "unavailable"}
            return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"status": "healthy", "service": SERVICE_NAME, "database": "ok"})


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)
