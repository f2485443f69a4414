"""Who may do what with accounts (see the API table in the design)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_self_or_staff(request, user) -> bool:
    return request.user.is_staff or request.user.pk == user.pk


def may_change_account(request, user) -> bool:
    """That user or staff; a staff or superuser account only by a superuser, so staff cannot take one over."""
    if request.user.pk == user.pk:
        return True
    if user.is_staff or user.is_superuser:
        return request.user.is_superuser
    return request.user.is_staff


class UserAccess(BasePermission):
    """Signup is open; everything else needs a signed-in caller.

    Any signed-in user may read a profile; reading its interactions is for that user or
    staff; changing or closing an account is for that user or staff, and another staff or
    superuser account is changed only by a superuser (as in the admin).
    """

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) is None:
            return True  # a method with no action (TRACE, PUT, OPTIONS): the view answers 405 or metadata
        if getattr(view, "action", None) == "create":
            return True
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return view.action == "retrieve" or is_self_or_staff(request, obj)
        return may_change_account(request, obj)
