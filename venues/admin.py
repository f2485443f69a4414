from __future__ import annotations

from django.contrib import admin

from luna.admin import ModelAdmin, admin_link, list_time, related_table
from venues.models import Interaction, Venue

RECENT = 20


@admin.register(Venue)
class VenueAdmin(ModelAdmin):
    # Coordinates are on each venue's page: the list fits a 1366-px screen.
    list_display = ("name", "category", "price_level", "rating", list_time("created_at"))
    list_filter = ("category", "price_level")
    search_fields = ("name", "description")
    ordering = ("name",)
    readonly_fields = ("id", "created_at", "updated_at", "recent_interactions")

    @admin.display(description=f"Last {RECENT} interactions")
    def recent_interactions(self, venue: Venue):
        if venue.pk is None:
            return "-"
        rows = Interaction.objects.filter(venue=venue).select_related("user").order_by("-created_at", "-id")[:RECENT]
        return related_table(
            ["when", "who", "what", "dwell (s)"],
            [
                (f"{row.created_at:%Y-%m-%d %H:%M}", admin_link(row.user), row.interaction_type, row.dwell_time_seconds)
                for row in rows
            ],
            empty="Nobody has interacted with this venue yet.",
        )


@admin.register(Interaction)
class InteractionAdmin(ModelAdmin):
    # The time first: it is the list's order.
    list_display = (list_time("created_at"), "user", "venue", "interaction_type", "dwell_time_seconds")
    list_filter = ("interaction_type", "venue__category")
    search_fields = ("user__handle", "user__name", "venue__name")
    autocomplete_fields = ("user", "venue")
    list_select_related = ("user", "venue")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    # Counting a million interactions on every page is slow; show "more" instead.
    show_full_result_count = False
