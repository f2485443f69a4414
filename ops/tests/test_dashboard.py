"""The admin index's dashboard: its numbers are the database's."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from experiments.impressions import impressions_flush, impressions_record
from ops.dashboard import dashboard_figures
from plans.models import Booking, Plan
from plans.tests.factories import BookingFactory, PlanFactory
from users.models import User
from users.tests.factories import UserFactory
from venues.models import Interaction, Venue
from venues.tests.factories import InteractionFactory, VenueFactory

pytestmark = pytest.mark.django_db


def test_the_dashboards_figures_are_the_databases():
    alice, bob = UserFactory(), UserFactory()
    blue, red = VenueFactory(name="Blue"), VenueFactory(name="Red")
    InteractionFactory(user=alice, venue=blue, interaction_type="like")
    InteractionFactory(user=bob, venue=blue, interaction_type="interest")
    InteractionFactory(user=bob, venue=red, interaction_type="like")
    old = InteractionFactory(user=alice, venue=red, interaction_type="view")
    Interaction.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    BookingFactory(plan=PlanFactory(confirmed=True), status=Booking.Status.FAILED)
    BookingFactory(plan=PlanFactory(confirmed=True), status=Booking.Status.BOOKED)
    PlanFactory(cancelled=True)

    for _ in range(2):
        impressions_record(
            recommendation_id=uuid.uuid4(),
            user_id=alice.pk,
            venue_ids=[red.pk, blue.pk],
            ranker="formula",
            model_version=None,
        )
    impressions_record(
        recommendation_id=uuid.uuid4(), user_id=bob.pk, venue_ids=[red.pk], ranker="formula", model_version=None
    )
    impressions_flush()

    figures = dashboard_figures()
    assert (figures.users, figures.venues) == (User.objects.filter(is_staff=False).count(), Venue.objects.count())
    assert figures.interactions_today == 3
    assert figures.plans == {"pending": 0, "confirmed": 2, "cancelled": 1}
    assert figures.bookings == {"pending": 0, "booked": 1, "failed": 1, "cancelled": 0}
    assert len(figures.days) == 30 and figures.days[-1] == timezone.localdate()
    assert figures.interactions_per_day[-1] == 3 and figures.interactions_per_day[-4] == 1
    assert sum(figures.interactions_per_day) == Interaction.objects.count()
    assert figures.bookings_per_day["failed"][-1] == 1
    assert [(name, people) for _, name, people in figures.most_liked] == [("Blue", 2), ("Red", 1)]
    assert [(name, shown) for _, name, shown in figures.most_recommended] == [("Red", 3), ("Blue", 2)]


def test_the_admin_index_shows_the_dashboard_with_failed_bookings_linked(client):
    BookingFactory(plan=PlanFactory(confirmed=True), status=Booking.Status.FAILED)
    client.force_login(UserFactory(handle="root", is_staff=True, is_superuser=True))
    page = client.get("/admin/").content.decode()
    assert "Luna today" in page and "<svg" in page
    assert 'class="tile alert"' in page and "/admin/plans/booking/?status__exact=failed" in page
    assert Plan.objects.count() == 1
