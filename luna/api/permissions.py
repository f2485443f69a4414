"""Permissions every app wires the same way: `permissions = {action: [...]}` on a luna.api.viewsets.ViewSet."""

from __future__ import annotations

from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated

__all__ = ["AllowAny", "IsAuthenticated", "IsSelfOrStaff", "IsStaff", "is_self_or_staff"]


def is_self_or_staff(actor, owner_id) -> bool:
    """Whether `actor` may act for the user with id `owner_id`: that user, or staff."""
    return bool(actor.is_staff or actor.pk == owner_id)


class IsSelfOrStaff(BasePermission):
    """The object belongs to the caller (its `owner_field` is the caller's id), or the caller is staff."""

    message = "Only its owner or staff may do this."

    def __init__(self, owner_field: str = "pk", message: str | None = None) -> None:
        self.owner_field = owner_field
        if message is not None:
            self.message = message

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        return is_self_or_staff(request.user, getattr(obj, self.owner_field))


class IsStaff(BasePermission):
    message = "Only staff can do this."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_staff)
