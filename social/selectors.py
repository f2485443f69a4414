from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from social.models import SocialEdge


def social_edge_list(*, owner_id: UUID) -> QuerySet[SocialEdge]:
    """One user's outgoing edges, strongest first."""
    return SocialEdge.objects.filter(user_id=owner_id).order_by("-strength", "id")
