"""A small world to call every endpoint of the schema in, for the tests that walk them all."""

from __future__ import annotations

from plans.models import Booking, PlanParticipant
from plans.tests.factories import BookingFactory, PlanFactory, PlanParticipantFactory
from social.tests.factories import SocialEdgeFactory
from venues.tests.factories import VenueFactory


def ids_by_prefix(alice, bob) -> dict[str, object]:
    """The id to put in a path, by the path's first part: alice herself, a venue, alice's pending plan
    there (alice accepted, bob invited), alice's edge to bob, a failed booking."""
    venue = VenueFactory()
    plan = PlanFactory(organizer=alice, venue=venue)
    PlanParticipantFactory(plan=plan, user=alice, status=PlanParticipant.Status.ACCEPTED)
    PlanParticipantFactory(plan=plan, user=bob)
    return {
        "users": alice.pk,
        "reco": alice.pk,
        "venues": venue.pk,
        "social": SocialEdgeFactory(user=alice, other_user=bob).pk,
        "plans": plan.pk,
        "bookings": BookingFactory(status=Booking.Status.FAILED).pk,
    }
