from __future__ import annotations

from django.db import transaction

from users.models import User
from venues.models import Interaction, Venue


@transaction.atomic
def venue_create(**fields) -> Venue:
    venue = Venue(**fields)
    venue.full_clean()
    venue.save()
    return venue


@transaction.atomic
def venue_update(*, venue: Venue, **fields) -> Venue:
    for field, value in fields.items():
        setattr(venue, field, value)
    venue.full_clean()
    venue.save()
    return venue


@transaction.atomic
def venue_delete(*, venue: Venue) -> None:
    """Remove a venue from the catalogue; plans made for it keep existing without a venue."""
    venue.delete()


@transaction.atomic
def interaction_record(*, user: User, venue: Venue, interaction_type: str, dwell_time_seconds: int = 0) -> Interaction:
    interaction = Interaction(
        user=user, venue=venue, interaction_type=interaction_type, dwell_time_seconds=dwell_time_seconds
    )
    interaction.full_clean()
    interaction.save()
    return interaction
