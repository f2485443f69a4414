"""The front page: what Luna is and where to go next (no database: it answers even when that is down)."""

from __future__ import annotations

from django.shortcuts import render


def front_page(request):
    return render(request, "luna/front.html", {"base": request.build_absolute_uri("/")})
