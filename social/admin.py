from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from luna.admin import ModelAdmin, add_panels, admin_link, list_time, related_table
from social.models import SocialEdge
from users.models import User


@admin.register(SocialEdge)
class SocialEdgeAdmin(ModelAdmin):
    list_display = ("user", "other_user", "relationship_type", "strength", list_time("updated_at"))
    list_filter = ("relationship_type",)
    search_fields = ("user__handle", "user__name", "other_user__handle", "other_user__name")
    autocomplete_fields = ("user", "other_user")
    list_select_related = ("user", "other_user")
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False


class UserEdgesPanel:
    @admin.display(description="Edges")
    def edges_of_user(self, user: User):
        if user.pk is None:
            return "-"
        edges = SocialEdge.objects.filter(Q(user=user) | Q(other_user=user)).select_related("user", "other_user")
        rows = [
            (
                "to" if edge.user_id == user.pk else "from",
                admin_link(edge.other_user if edge.user_id == user.pk else edge.user),
                edge.relationship_type,
                edge.strength,
                admin_link(edge, "edit"),
            )
            for edge in edges.order_by("-strength", "id")[:EDGES_SHOWN]
        ]
        return related_table(["", "who", "relationship", "strength", ""], rows, empty="No edges yet.")


EDGES_SHOWN = 50
add_panels(User, UserEdgesPanel, ("edges_of_user",), title="Social graph")
