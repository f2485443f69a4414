from __future__ import annotations

from django.contrib import admin

from luna.admin import ModelAdmin
from social.models import SocialEdge


@admin.register(SocialEdge)
class SocialEdgeAdmin(ModelAdmin):
    list_display = ("id", "user", "other_user", "relationship_type", "strength", "updated_at")
    list_filter = ("relationship_type",)
    search_fields = ("user__handle", "user__name", "other_user__handle", "other_user__name")
    autocomplete_fields = ("user", "other_user")
    list_select_related = ("user", "other_user")
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False
