"""Recommendations listen to the other apps: a deleted venue marks every process's catalogue as possibly
holding it (catalogue.venue_deleted), and a user's interactions and edges rank their candidate lists
again (recommendations.candidates). What users do with recommended venues is attributed by
experiments.receivers."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from recommendations.candidates import candidates_refresh_after_commit
from recommendations.catalogue import venue_deleted
from social.models import SocialEdge
from venues.events import interaction_recorded
from venues.models import Venue


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
