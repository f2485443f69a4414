"""Who may see and change social edges: the edge's owner, and staff."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from luna.api.permissions import names_someone_else, same_user_id


class SocialEdgeAccess(BasePermission):
    message = "Only the edge's owner or staff may do this."

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) is None:
            return True  # a method with no action (TRACE, PUT, OPTIONS): the view answers 405 or metadata
        if not (request.user and request.user.is_authenticated):
            return False
        if request.user.is_staff:
            return True
        requested = request.query_params.get("user")
        if view.action == "list" and requested and same_user_id(requested, request.user) is False:
            self.message = "Only staff may list another user's edges."
            return False
        if view.action == "create" and names_someone_else(request):
            self.message = "Only staff may create an edge for another user."
            return False
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return request.user.is_staff or obj.user_id == request.user.pk
