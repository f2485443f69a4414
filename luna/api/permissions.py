"""Helpers for the permission classes of every app."""

from __future__ import annotations

import uuid


def same_user_id(raw, user) -> bool | None:
    """Whether `raw` (from a body or query string) is the user's id; None when it is not a well-formed id."""
    try:
        return uuid.UUID(str(raw)) == user.pk
    except ValueError:
        return None


def names_someone_else(request, field: str = "user_id") -> bool:
    """True when the JSON body's `field` is a well-formed id other than the caller's.

    A malformed id is left to the serializer, which answers 400 for it.
    """
    data = request.data
    raw = data.get(field) if isinstance(data, dict) else None
    if raw is None:
        return False
    return same_user_id(raw, request.user) is False
