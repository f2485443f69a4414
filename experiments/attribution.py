"""Outcomes: what users did with the venues recommendations showed them.

An interaction or a plan for a venue the user was shown in the last LUNA_ATTRIBUTION_WINDOW_HOURS is
attributed to the latest such impression (to the one the client names by `recommendation_id`, when it
does and it matches). The other apps announce them (venues.events, plans.events; experiments.receivers).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, Value, When
from django.utils import timezone

from experiments.models import Impression, Outcome


def outcome_attribute(
    *,
    user_id: uuid.UUID,
    venue_id: uuid.UUID,
    kind: str,
    recommendation_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> Outcome | None:
    """Attribute what the user just did with the venue to the impression that led there, if any
    (see the module docstring). Returns the outcome stored, or None."""
    at = at or timezone.now()
    window = timedelta(hours=settings.LUNA_ATTRIBUTION_WINDOW_HOURS)
    shown = Impression.objects.filter(
        user_id=user_id, venue_id=venue_id, created_at__gte=at - window, created_at__lte=at
    ).order_by("-created_at", "-id")
    impression = None
    if recommendation_id is not None:
        impression = shown.filter(recommendation_id=recommendation_id).first()
    sent = impression is not None
    if impression is None:
        # An experiment's impression first: the same venue shown since in a plan's group suggestions
        # or outside the experiment must not take the outcome away from the arm that showed it.
        impression = (
            shown.alias(outside=Case(When(experiment__isnull=True, then=Value(1)), default=Value(0)))
            .order_by("outside", "-created_at", "-id")
            .first()
        )
    if impression is None:
        return None
    return Outcome.objects.create(impression=impression, kind=kind, sent_by_client=sent, created_at=at)
