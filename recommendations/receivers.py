"""Recommendations listen to the other apps: a deleted venue marks every process's catalogue as possibly
holding it (catalogue.venue_deleted). What users do with recommended venues is attributed by
experiments.receivers."""

from __future__ import annotations

from django.db.models.signals import post_delete

from recommendations.catalogue import venue_deleted
from venues.models import Venue


def _venue_deleted(sender, **kwargs) -> None:
    venue_deleted()


post_delete.connect(_venue_deleted, sender=Venue, dispatch_uid="recommendations.catalogue.venue_deleted")
