"""The one table of positive-interaction weights (ranking.world.POSITIVE_WEIGHTS), as the served rows and
the database's World read it."""

from __future__ import annotations

import pytest

from ranking.world import POSITIVE_WEIGHTS
from recommendations.history import database_history
from recommendations.selectors import user_venue_totals
from venues.models import Interaction
from venues.tests.factories import InteractionFactory, VenueFactory


@pytest.mark.django_db
def test_the_served_counts_and_the_database_history_weigh_each_kind_as_the_table_says():
    venue = VenueFactory()
    first = InteractionFactory(venue=venue, interaction_type=Interaction.Type.VIEW, dwell_time_seconds=30)
    user = first.user
    for kind in (Interaction.Type.LIKE, Interaction.Type.INTEREST, Interaction.Type.VIEW):
        InteractionFactory(user=user, venue=venue, interaction_type=kind)
    expected = sum(POSITIVE_WEIGHTS.get(kind, 0.0) for kind in ("view", "like", "interest", "view"))

    totals = user_venue_totals(user_id=user.id)
    assert list(totals.positive_counts) == [expected]  # the served rows (selectors) count each kind once
    world = database_history().world
    assert world.positive.toarray().tolist() == [[expected]]
    assert world.interactions.toarray().tolist() == [[4.0]]
    assert {kind.value for kind in Interaction.POSITIVE_TYPES} == set(POSITIVE_WEIGHTS)
