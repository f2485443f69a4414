from __future__ import annotations

from django.db.models import QuerySet

from users.models import Token, User
from users.validators import normalize_handle


def handle_taken(handle: str, *, exclude: User | None = None) -> bool:
    users = User.objects.filter(handle=normalize_handle(handle))
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def user_list(*, viewer: User) -> QuerySet[User]:
    """Users the viewer may see: everyone for staff, active accounts for the rest."""
    users = User.objects.all()
    if not (viewer.is_authenticated and viewer.is_staff):
        users = users.filter(is_active=True)
    return users.order_by("handle", "id")


def token_is_stale(token: Token) -> bool:
    """Whether the token was issued before its user's password last changed (it then signs in no more)."""
    changed = token.user.password_changed_at
    return changed is not None and token.created_at < changed
