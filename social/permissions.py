"""Who may see and change social edges: the edge's owner, and staff."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class SocialEdgeAccess(BasePermission):
    """Signed-in users; an edge itself only for its owner and staff.

    Whose edges a list or a new edge is about is the `user` / `user_id` field's
    business (users.serializers.ActingUserField): only staff may name someone else.
    """

    message = "Only the edge's owner or staff may do this."

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) is None:
            return True  # a method with no action (TRACE, PUT, OPTIONS): the view answers 405 or metadata
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.user.is_staff or obj.user_id == request.user.pk
