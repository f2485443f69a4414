"""{% luna_dashboard %}: the admin index's dashboard (see ops.dashboard)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from luna.charts import bars_svg
from ops.dashboard import COLOURS, dashboard
from world.admin_data import may_load_data

register = template.Library()


@register.inclusion_tag("ops/dashboard.html", takes_context=True)
def luna_dashboard(context) -> dict:
    figures = dashboard()
    request = context.get("request")
    return {
        "can_load_data": request is not None and may_load_data(request.user),
        "figures": figures,
        "interactions_chart": mark_safe(  # noqa: S308 - drawn here from numbers and dates only
            bars_svg(
                figures.days,
                {"interactions": figures.interactions_per_day},
                title="Interactions per day",
                colours=COLOURS,
            )
        ),
        "bookings_chart": mark_safe(  # noqa: S308 - drawn here from numbers and dates only
            bars_svg(figures.days, figures.bookings_per_day, title="Bookings per day by outcome", colours=COLOURS)
        ),
        "colours": COLOURS,
    }
