"""Recommendations listen to the other apps: interactions and plans are attributed to the
recommendations that showed their venue (recommendations.experiments.outcome_attribute), and a
deleted venue marks every process's catalogue as possibly holding it (catalogue.venue_deleted), and
a user's interactions and edges rank their candidate lists again (recommendations.candidates)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from plans.events import plan_created
from recommendations.candidates import candidates_refresh_after_commit
from recommendations.catalogue import venue_deleted
from recommendations.experiments import outcome_attribute
from social.models import SocialEdge
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


def _refresh_candidates_of_the_user(sender, interaction, **kwargs) -> None:
    candidates_refresh_after_commit([interaction.user_id])


def _refresh_candidates_of_both_ends(sender, instance, raw=False, **kwargs) -> None:
    if not raw:  # a fixture being loaded is not someone's write
        candidates_refresh_after_commit([instance.user_id, instance.other_user_id])


# A user's own writes: their candidate lists are ranked again once the write commits (their next read
# already ranks live: the list's mark of their inputs no longer matches).
interaction_recorded.connect(_refresh_candidates_of_the_user, dispatch_uid="recommendations.candidates.interaction")
post_save.connect(_refresh_candidates_of_both_ends, sender=SocialEdge, dispatch_uid="recommendations.candidates.edge")
post_delete.connect(
    _refresh_candidates_of_both_ends, sender=SocialEdge, dispatch_uid="recommendations.candidates.edge_deleted"
)
