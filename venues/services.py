from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import ProtectedError

from luna.errors import Conflict
from luna.services import model_update
from users.models import User
from venues.events import interaction_recorded
from venues.models import Interaction, Venue


@transaction.atomic
def venue_create(**fields) -> Venue:
    venue = Venue(**fields)
    venue.full_clean()
    venue.save()
    return venue


VENUE_FIELDS = ["name", "description", "category", "lat", "lng", "price_level", "rating"]


@transaction.atomic
def venue_update(*, venue: Venue, data: dict) -> Venue:
    """Change any of VENUE_FIELDS."""
    venue, _ = model_update(instance=venue, fields=VENUE_FIELDS, data=data)
    return venue


@transaction.atomic
def venue_delete(*, venue: Venue) -> None:
    """Remove a venue from the catalogue; plans made for it keep existing without a venue.

    Refused (409) while a plan ahead holds a booking there: the models that point at a
    venue decide that through their `on_delete`, which locks their rows before checking them,
    so a confirmation in flight is either seen here or refused for want of a venue.
    """
    try:
        venue.delete()
    except ProtectedError as exc:
        blocking = [str(obj) for obj in exc.protected_objects]
        meta = next(iter(exc.protected_objects))._meta
        if len(blocking) == 1:
            what = f"1 {meta.verbose_name} ahead holds"
        else:
            what = f"{len(blocking)} {meta.verbose_name_plural} ahead hold"
        listed = "; ".join(blocking[:5]) + (f"; and {len(blocking) - 5} more" if len(blocking) > 5 else "")
        message = f"The venue cannot be removed while {what} a booking there; cancel them first: {listed}."
        raise Conflict(message, code="venue_in_use") from None


@transaction.atomic
def interaction_record(
    *,
    user: User,
    venue: Venue,
    interaction_type: str,
    dwell_time_seconds: int = 0,
    recommendation_id: uuid.UUID | None = None,
) -> Interaction:
    """Store the interaction and tell the listeners of `interaction_recorded` (recommendations attributes
    it to the answer that showed the venue; `recommendation_id` names that answer when the client knows)."""
    interaction = Interaction(
        user=user, venue=venue, interaction_type=interaction_type, dwell_time_seconds=dwell_time_seconds
    )
    interaction.full_clean()
    interaction.save()
    interaction_recorded.send(sender=Interaction, interaction=interaction, recommendation_id=recommendation_id)
    return interaction
