"""Outcomes: what users did with the venues recommendations showed them.

An interaction or a plan for a venue the user was shown in the last LUNA_ATTRIBUTION_WINDOW_HOURS is
attributed to the latest such impression (to the one the client names by `recommendation_id`, when it
does and it matches). The other apps announce them (venues.events, plans.events; experiments.receivers).
Impressions are written in batches (experiments.impressions): one still in this process's buffer is
written first, and an outcome whose impression is not found is looked for again once every process
has written what it held.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db.models import Case, Value, When
from django.utils import timezone

from experiments.impressions import impressions_after_written, impressions_pending, impressions_write_now
from experiments.models import Impression, Outcome


def outcome_attribute(
    *,
    user_id: uuid.UUID,
    venue_id: uuid.UUID,
    kind: str,
    recommendation_id: uuid.UUID | None = None,
    at: datetime | None = None,
    again: bool = True,
) -> Outcome | None:
    """Attribute what the user just did with the venue to the impression that led there, if any
    (see the module docstring). Returns the outcome stored, or None: None too when the impression may
    still be in another process's buffer (none found, or not the one the client named), and then, with
    `again`, it is attributed in the background once every process has written what it held."""
    at = at or timezone.now()
    if impressions_pending(user_id=user_id, venue_id=venue_id):
        impressions_write_now()  # this process showed the venue and has not written it yet
    found = _impression_of(user_id=user_id, venue_id=venue_id, recommendation_id=recommendation_id, at=at)
    missed = found is None or (recommendation_id is not None and not found[1])
    if missed and again:
        later = partial(
            outcome_attribute,
            user_id=user_id,
            venue_id=venue_id,
            kind=kind,
            recommendation_id=recommendation_id,
            at=at,
            again=False,
        )
        if impressions_after_written(later):
            return None
    if found is None:
        return None
    impression, sent = found
    return Outcome.objects.create(impression=impression, kind=kind, sent_by_client=sent, created_at=at)


def _impression_of(
    *, user_id: uuid.UUID, venue_id: uuid.UUID, recommendation_id: uuid.UUID | None, at: datetime
) -> tuple[Impression, bool] | None:
    """(the impression an outcome at `at` goes to, whether it is the one the client named), or None."""
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
    return None if impression is None else (impression, sent)
