"""{% world_dashboard %}: the admin index's dashboard (see world.dashboard)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from world.dashboard import COLOURS, bars_svg, dashboard

register = template.Library()


@register.inclusion_tag("world/dashboard.html")
def world_dashboard() -> dict:
    figures = dashboard()
    return {
        "figures": figures,
        "interactions_chart": mark_safe(  # noqa: S308 - drawn here from numbers and dates only
            bars_svg(figures.days, {"interactions": figures.interactions_per_day}, title="Interactions per day")
        ),
        "bookings_chart": mark_safe(  # noqa: S308 - drawn here from numbers and dates only
            bars_svg(figures.days, figures.bookings_per_day, title="Bookings per day by outcome")
        ),
        "colours": COLOURS,
    }
