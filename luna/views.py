"""The front page (what Luna is and where to go next; no database: it answers even when that is down)
and the Prometheus metrics."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from luna.metrics import exposition


def front_page(request):
    return render(request, "luna/front.html", {"base": request.build_absolute_uri("/")})


def metrics(request):
    """Prometheus metrics, for staff (a session) or whoever sends `Authorization: Bearer <LUNA_METRICS_TOKEN>`."""
    token = settings.LUNA_METRICS_TOKEN
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    allowed = bool(token) and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())
    if not allowed and not (request.user.is_authenticated and request.user.is_staff):
        detail = "Metrics are for staff, or for `Authorization: Bearer <LUNA_METRICS_TOKEN>`."
        return JsonResponse({"detail": detail}, status=403)
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
