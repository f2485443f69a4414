from __future__ import annotations

from django.contrib import admin

from luna.admin import ModelAdmin
from venues.models import Interaction, Venue


@admin.register(Venue)
class VenueAdmin(ModelAdmin):
    list_display = ("name", "category", "price_level", "rating", "lat", "lng", "created_at")
    list_filter = ("category", "price_level")
    search_fields = ("name", "description")
    ordering = ("name",)
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(Interaction)
class InteractionAdmin(ModelAdmin):
    list_display = ("id", "user", "venue", "interaction_type", "dwell_time_seconds", "created_at")
    list_filter = ("interaction_type", "venue__category")
    search_fields = ("user__handle", "user__name", "venue__name")
    autocomplete_fields = ("user", "venue")
    list_select_related = ("user", "venue")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    # Counting a million interactions on every page is slow; show "more" instead.
    show_full_result_count = False
