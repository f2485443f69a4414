"""Recommendations listen to the other apps: interactions and plans are attributed to the
recommendations that showed their venue (recommendations.experiments.outcome_attribute), and a
deleted venue marks every process's catalogue as possibly holding it (catalogue.venue_deleted)."""

from __future__ import annotations

from django.db.models.signals import post_delete

from plans.events import plan_created
from recommendations.catalogue import venue_deleted
from recommendations.experiments import outcome_attribute
from venues.events import interaction_recorded
from venues.models import Venue


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
            kind="plan",
            recommendation_id=recommendation_id,
            at=plan.created_at,
        )


interaction_recorded.connect(_interaction_recorded, dispatch_uid="recommendations.outcomes.interaction")
plan_created.connect(_plan_created, dispatch_uid="recommendations.outcomes.plan")


def _venue_deleted(sender, **kwargs) -> None:
    venue_deleted()


post_delete.connect(_venue_deleted, sender=Venue, dispatch_uid="recommendations.catalogue.venue_deleted")
