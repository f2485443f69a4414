"""Who may read whose recommendations."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class IsSelfOrStaff(BasePermission):
    """Recommendations are computed for one user: that user, or staff acting for them."""

    message = "You can only see your own recommendations."

    def has_object_permission(self, request, view, obj) -> bool:
        return bool(request.user.is_staff or obj.pk == request.user.pk)
