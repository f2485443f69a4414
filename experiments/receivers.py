"""Experiments listen to the other apps: interactions and plans are attributed to the recommendations
that showed their venue (experiments.attribution.outcome_attribute)."""

from __future__ import annotations

from experiments.attribution import outcome_attribute
from experiments.models import Outcome
from plans.events import plan_created
from venues.events import interaction_recorded


def _interaction_recorded(sender, interaction, recommendation_id=None, **kwargs) -> None:
    outcome_attribute(
        user_id=interaction.user_id,
        venue_id=interaction.venue_id,
        kind=interaction.interaction_type,
        recommendation_id=recommendation_id,
        at=interaction.created_at,
    )


def _plan_created(sender, plan, recommendation_id=None, **kwargs) -> None:
    if plan.venue_id is not None:
        outcome_attribute(
            user_id=plan.organizer_id,
            venue_id=plan.venue_id,
            kind=Outcome.Kind.PLAN,
            recommendation_id=recommendation_id,
            at=plan.created_at,
        )


interaction_recorded.connect(_interaction_recorded, dispatch_uid="experiments.outcomes.interaction")
plan_created.connect(_plan_created, dispatch_uid="experiments.outcomes.plan")
