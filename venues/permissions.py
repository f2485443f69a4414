"""Who may do what with venues and interactions (see the API table in the design)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

INTERACTION_ACTIONS = {"interactions", "interact"}


class VenueAccess(BasePermission):
    """Anyone reads the catalogue; staff edit it; signed-in users record their own interactions."""

    message = "Only staff may change venues."

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) is None:
            return True  # a method with no action (TRACE, PUT, OPTIONS): the view answers 405 or metadata
        action = getattr(view, "action", None)
        if action in {"list", "retrieve"}:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        # Whose interaction it is, the body's `user_id` says (users.serializers.ActingUserField).
        return action in INTERACTION_ACTIONS or request.user.is_staff
