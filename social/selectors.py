from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import QuerySet

from social.models import SocialEdge


def social_edge_list(*, owner_id: UUID) -> QuerySet[SocialEdge]:
    """One user's outgoing edges, strongest first."""
    return SocialEdge.objects.filter(user_id=owner_id).order_by("-strength", "id")


def users_with_edge_to(*, user_id: UUID, among: Iterable[UUID]) -> set[UUID]:
    """Those of `among` who have an edge to `user_id` (they added that user), in one query."""
    return set(
        SocialEdge.objects.filter(user_id__in=list(among), other_user_id=user_id).values_list("user_id", flat=True)
    )
