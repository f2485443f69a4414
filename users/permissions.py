"""Who may change an account: that user or staff, and a staff or superuser account only itself or a superuser."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


def may_change_account(actor, user) -> bool:
    """That user or staff; a staff or superuser account only itself or a superuser, so staff cannot take one over."""
    if actor.pk == user.pk:
        return True
    if user.is_staff or user.is_superuser:
        return actor.is_superuser
    return actor.is_staff


class MayChangeAccount(BasePermission):
    message = "You do not have permission to perform this action."

    def has_object_permission(self, request, view, obj) -> bool:
        return may_change_account(request.user, obj)
